"""One findings report over several seeds' runs: each finding pooled over seeds, and per seed.

    python -m harness.pipeline.report_pool --out runs/micro-pooled runs/micro runs/micro-seed1

Pooling: a variant's per-problem scores of every seed are put side by side (problem ids prefixed with the seed's
run name), and the paired bootstrap of ``harness.pipeline.report`` resamples problems over that union. The pooled
CI is over problems; the spread between seeds (training randomness) is what the per-seed columns show — with two
seeds there is nothing to resample seeds from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.analysis.samples import suite_domain
from harness.errors import UserError
from harness.pipeline.report import (
    SINGLES,
    Scores,
    _diff,
    finding_compute,
    finding_matrix,
    finding_mix_vs_merge,
)


class PooledScores(Scores):
    """``Scores`` of several runs as one: the variants and suites all of them have, problems keyed ``run:id``."""

    def __init__(self, runs: dict[str, Path]):
        self.parts = {tag: Scores(Path(p)) for tag, p in runs.items()}
        first = next(iter(self.parts.values()))
        self.dirs = {v: d for v, d in first.dirs.items() if all(v in s.dirs for s in self.parts.values())}
        self.suites = [s for s in first.suites if all(s in p.suites for p in self.parts.values())]
        self._cache = {}

    def get(self, variant: str, suite: str) -> dict[str, float] | None:
        out: dict[str, float] = {}
        for tag, sc in self.parts.items():
            part = sc.get(variant, suite)
            if part is None:
                return None
            out.update({f"{tag}:{k}": v for k, v in part.items()})
        return out


def findings_hold(sc: Scores) -> dict[str, bool]:
    """The micro study's two learning findings: each single-domain RL model beats SFT on its own domain beyond the
    CI; rl-multi beats SFT on all four domains beyond the CI."""
    own = [s for s in sc.suites if suite_domain(s) in {m.removeprefix("rl-") for m in SINGLES}]
    singles = all((d := sc.paired(f"rl-{suite_domain(s)}", "sft", [s])) and d["ci_low"] > 0 for s in own)
    multi = all((d := sc.paired("rl-multi", "sft", [s])) and d["ci_low"] > 0 for s in own)
    return {"singles_beat_sft_on_own_domain": bool(own) and singles, "multi_improves_all_four": bool(own) and multi}


def _table(pooled: PooledScores) -> list[str]:
    """RL minus SFT per (model, domain suite): pooled with its CI, then each seed's."""
    tags = list(pooled.parts)
    suites = [s for s in pooled.suites if suite_domain(s) in {m.removeprefix("rl-") for m in SINGLES}]
    lines = ["| model | " + " | ".join(suites) + " |", "|---" * (len(suites) + 1) + "|"]
    for m in [*SINGLES, "rl-multi"]:
        cells = []
        for s in suites:
            d = pooled.paired(m, "sft", [s])
            per = " / ".join(_diff(sc.paired(m, "sft", [s])).split(" ")[0] for sc in pooled.parts.values())
            sig = d and (d["ci_low"] > 0 or d["ci_high"] < 0)
            cells.append(f"{'**' if sig else ''}{_diff(d)}{'**' if sig else ''} ({per})")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return lines + ["", f"Cells: pooled difference in points [95% CI] (per seed: {' / '.join(tags)})."]


def pooled_report(runs: dict[str, Path], out: Path) -> dict:
    for tag, p in runs.items():
        if not Path(p).is_dir():
            raise UserError(f"{p}: run directory not found (run `mixmerge reproduce` for {tag} first)")
    pooled = PooledScores(runs)
    if "sft" not in pooled.dirs:
        raise UserError(f"{', '.join(map(str, runs.values()))}: no eval-sft in every run; nothing to compare with")
    merges = sorted(v for v in pooled.dirs if v.startswith("merge-"))
    data: dict = {"runs": {t: str(p) for t, p in runs.items()}, "hold": {"pooled": findings_hold(pooled)}}
    sections = [[f"# Mix or merge? — findings pooled over {len(runs)} seeds ({', '.join(runs)})", "",
                 "RL minus SFT on the four domains' suites, percentage points, paired bootstrap 95% CI over the "
                 "problems of all seeds (bold = beyond the CI):", "", *_table(pooled)]]
    for title, sc in [("pooled", pooled), *pooled.parts.items()]:
        hold = findings_hold(sc)
        data["hold"][title] = hold
        sections.append([f"## {title}", "", f"Single-domain RL beats SFT on its own domain beyond the CI: "
                         f"**{'yes' if hold['singles_beat_sft_on_own_domain'] else 'NO'}**; rl-multi improves all "
                         f"four: **{'yes' if hold['multi_improves_all_four'] else 'NO'}**."])
        for name, (lines, d) in {"mix_vs_merge": finding_mix_vs_merge(sc, merges), "matrix": finding_matrix(sc)}.items():
            sections.append(["#" + line if line.startswith("## ") else line for line in lines])
            data.setdefault(title, {})[name] = d
    for tag, p in runs.items():
        lines, d = finding_compute(Path(p) / "analysis")
        sections.append([f"## compute ({tag})", *lines[1:]])
        data.setdefault(tag, {})["compute"] = d
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text("\n\n".join("\n".join(s) for s in sections) + "\n")
    (out / "report.json").write_text(json.dumps(data, indent=2, default=str))
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.pipeline.report_pool", description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run stores, one per seed (runs/<recipe>)")
    ap.add_argument("--out", type=Path, required=True, help="where report.md and report.json go")
    args = ap.parse_args(argv)
    try:
        names = [p.name for p in args.runs]
        tags = names if len(set(names)) == len(names) else [str(p) for p in args.runs]  # runs/<recipe> names clash
        data = pooled_report(dict(zip(tags, args.runs, strict=True)), args.out)
    except UserError as e:
        print(f"report_pool: error: {e}", file=sys.stderr)
        return 2
    print(f"pooled report of {len(args.runs)} runs -> {args.out / 'report.md'}; findings hold (pooled): "
          f"{data['hold']['pooled']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
