"""Inheritance: per problem, does a merged (or multi-task) model answer like the single-domain model of
that problem's domain?

For a candidate C (a merge, the multi-task RL model, MT-OPD) and each single-domain model S, on every suite,
over the problems both were scored on (per-problem solve rate over the K samples; "solved" = rate >= 0.5):

* ``agreement`` — fraction of problems where C and S are both solved or both unsolved;
* ``retained`` — of the problems S solves, the fraction C solves too; ``gained`` / ``lost`` counts;
* ``answer_match`` — fraction whose most common extracted answer is the same (when the verifier records one);
* ``divergence`` — mean |solve rate(C) − solve rate(S)| (total-variation distance of per-problem correctness).

``own`` marks the single model of the suite's domain: the paper's finding is that merges inherit their
domain expert's behaviour (high own agreement) while multi-task training diverges more.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from harness.analysis.samples import find_samples, list_suites, per_problem, read_samples, suite_domain
from harness.errors import UserError


def compare(cand: dict, single: dict) -> dict:
    ids = sorted(set(cand) & set(single))
    if not ids:
        return {"problems": 0}
    agree = gained = lost = both = s_solved = matched = answered = 0
    div = 0.0
    for i in ids:
        c, s = cand[i], single[i]
        cs, ss = c.solve_rate >= 0.5, s.solve_rate >= 0.5
        agree += cs == ss
        gained += cs and not ss
        lost += ss and not cs
        both += cs and ss
        s_solved += ss
        div += abs(c.solve_rate - s.solve_rate)
        if c.answer is not None and s.answer is not None:
            answered += 1
            matched += c.answer == s.answer
    return {"problems": len(ids), "agreement": agree / len(ids), "retained": both / s_solved if s_solved else None,
            "gained": gained, "lost": lost, "divergence": div / len(ids),
            "answer_match": matched / answered if answered else None}


def analyze_inheritance(candidates: dict[str, Path], singles: dict[str, Path], out: Path | None = None, *,
                        suites: list[str] | None = None, suite_domains: dict[str, str] | None = None) -> dict:
    """``candidates`` / ``singles``: label -> eval directory; single labels are domains or ``rl-<domain>``."""
    if not candidates or not singles:
        raise UserError("inheritance needs at least one merged/multi model and one single-domain model")
    first = next(iter(singles.values()))
    suites = suites or list_suites(first)
    if not suites:
        raise UserError(f"{first}: no <suite>/samples.jsonl found; give --suite")
    cache: dict[tuple[str, str], dict] = {}

    def problems(label: str, path: Path, suite: str) -> dict:
        if (label, suite) not in cache:
            cache[(label, suite)] = per_problem(read_samples(find_samples(path, suite)))
        return cache[(label, suite)]

    rows = []
    for suite in suites:
        dom = suite_domain(suite, suite_domains, first)
        for cname, cdir in candidates.items():
            for sname, sdir in singles.items():
                r = compare(problems(cname, cdir, suite), problems(sname, sdir, suite))
                rows.append({"suite": suite, "domain": dom, "model": cname, "single": sname,
                             "own": dom is not None and sname.removeprefix("rl-") == dom, **r})
    summary = {}
    for cname in candidates:
        own = [r for r in rows if r["model"] == cname and r["own"] and r["problems"]]
        other = [r for r in rows if r["model"] == cname and not r["own"] and r["problems"]]

        def mean(rs, key):
            vals = [r[key] for r in rs if r.get(key) is not None]
            return sum(vals) / len(vals) if vals else None

        summary[cname] = {"own_agreement": mean(own, "agreement"), "own_divergence": mean(own, "divergence"),
                          "own_retained": mean(own, "retained"), "other_agreement": mean(other, "agreement")}
    result = {"rows": rows, "summary": summary}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "inheritance.json").write_text(json.dumps(result, indent=2))
        keys = ["suite", "domain", "model", "single", "own", "problems", "agreement", "retained", "gained", "lost",
                "divergence", "answer_match"]
        with open(out / "inheritance.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
    return result
