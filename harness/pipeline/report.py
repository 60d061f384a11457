"""The ``report`` stage: the paper's findings checked one by one at the recipe's scale, with figures and CIs.

Reads the finished run: per-problem correctness from every ``eval-<variant>`` stage's ``samples.jsonl`` (for
paired bootstrap CIs), the ``analysis`` stage's outputs (weights, policy, inheritance, compute) and writes
``report.md`` + ``report.json``. Where the run disagrees with the paper, the report says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harness.analysis.samples import find_samples, list_suites, read_samples, suite_domain
from harness.eval.metrics import bootstrap_ci, paired_bootstrap
from harness.pipeline.context import StageContext
from harness.recipe import DOMAINS

SINGLES = [f"rl-{d}" for d in DOMAINS]
PAPER_COMPUTE = 0.332
COMPUTE_MEASURES = (  # (key in compute.json, label, how it was obtained)
    ("device_seconds", "device-seconds (measured)", "CPU seconds of the stage (GPUs × wall on GPUs); moves with load"),
    ("flops", "FLOPs (counted)", "2·N per generated/prefilled/forwarded token + 6·N per trained token, N = all parameters"),
    ("generated_tokens", "rollout tokens generated (counted)", "completion tokens sampled"),
    ("trained_tokens", "tokens trained (counted)", "prompt + completion tokens through forward + backward"),
)


def per_problem(eval_dir: Path, suite: str) -> dict[str, float]:
    by_id: dict[str, list[float]] = {}
    for row in read_samples(find_samples(eval_dir, suite)):
        by_id.setdefault(str(row["id"]), []).append(float(row["_correct"]))
    return {k: float(np.mean(v)) for k, v in by_id.items()}


class Scores:
    """Per-problem scores of every evaluated variant, keyed (variant, suite) -> {id: mean correctness}."""

    def __init__(self, run_root: Path):
        self.dirs = {p.name.removeprefix("eval-"): p for p in sorted(run_root.glob("eval-*")) if p.is_dir()}
        ref = self.dirs.get("sft") or next(iter(self.dirs.values()), None)
        self.suites = list_suites(ref) if ref else []
        self._cache: dict[tuple[str, str], dict[str, float]] = {}

    def get(self, variant: str, suite: str) -> dict[str, float] | None:
        if variant not in self.dirs:
            return None
        key = (variant, suite)
        if key not in self._cache:
            try:
                self._cache[key] = per_problem(self.dirs[variant], suite)
            except Exception:  # a variant without this suite: reported as missing, not fatal
                return None
        return self._cache[key]

    def acc(self, variant: str, suite: str) -> tuple[float, float, float] | None:
        s = self.get(variant, suite)
        if not s:
            return None
        lo, hi = bootstrap_ci(list(s.values()))
        return float(np.mean(list(s.values()))), lo, hi

    def paired(self, a: str, b: str, suites: list[str]) -> dict | None:
        xs, ys = [], []
        for suite in suites:
            sa, sb = self.get(a, suite), self.get(b, suite)
            if not sa or not sb:
                return None
            ids = sorted(set(sa) & set(sb))
            xs += [sa[i] for i in ids]
            ys += [sb[i] for i in ids]
        return paired_bootstrap(xs, ys) if xs else None


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _diff(d: dict | None) -> str:
    if not d:
        return "—"
    return f"{100 * d['diff']:+.1f} [{100 * d['ci_low']:+.1f}, {100 * d['ci_high']:+.1f}]"


def _sig(d: dict | None) -> str:
    if not d:
        return "n/a"
    if d["ci_low"] > 0:
        return "better"
    if d["ci_high"] < 0:
        return "worse"
    return "no significant difference"


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def finding_mix_vs_merge(sc: Scores, merges: list[str]) -> tuple[list[str], dict]:
    lines = ["## 1. Mixed multi-task RL vs separate RL + merging",
             "Paper: multi-task RLVR matches separate RLVR + merging (TIES) on average.", "",
             "rl-multi minus each merged model, pooled over all suites (percentage points, paired bootstrap 95% CI "
             "over problems):", "", "| merged model | rl-multi − merge | verdict |", "| --- | --- | --- |"]
    out = {}
    for m in merges:
        d = sc.paired("rl-multi", m, sc.suites)
        out[m] = d
        lines.append(f"| {m} | {_diff(d)} | rl-multi {_sig(d)} |")
    ties = out.get("merge-ties")
    if ties:
        agrees = ties["ci_low"] <= 0 <= ties["ci_high"] or ties["ci_low"] > 0
        lines += ["", f"Against TIES (the paper's 'Model Merging' column) the micro run "
                      f"{'agrees with' if agrees else 'DISAGREES with'} the paper: rl-multi {_sig(ties)}."]
    return lines, out


def finding_compute(analysis: Path) -> tuple[list[str], dict]:
    comp = _read(analysis / "compute" / "compute.json") or {}
    frac = comp.get("multi_over_singles")
    counted = comp.get("counted") or {}
    lines = ["## 2. Compute of multi-task RL vs the four single-domain runs",
             f"Paper: {100 * PAPER_COMPUTE:.1f}% of the GPU hours (2166.4 / 6525.0), a measured time.", "",
             "| measure | rl-multi / (rl-math + rl-code + rl-science + rl-if) | how it was obtained |",
             "| --- | --- | --- |"]
    for key, label, how in COMPUTE_MEASURES:
        v = frac if key == "device_seconds" else (counted.get(key) or {}).get("multi_over_singles")
        lines.append(f"| {label} | {'—' if v is None else f'**{100 * v:.1f}%**'} | {how} |")
    flops = (counted.get("flops") or {}).get("multi_over_singles")
    if frac is None and flops is None:
        lines.append("\nNot measured: the ledger lacks one of the RL stages.")
    else:
        lines += ["", "The paper's GPU hours correspond to the device-seconds row (a time); the FLOPs and token rows are "
                      "counted from what the stages did, so they do not move with machine load. "
                      + ("" if flops is None else "At micro scale the FLOP ratio is set by the recipe's step counts "
                         "and the rollouts' lengths; " + (
                             "it is close to the paper's." if abs(flops - PAPER_COMPUTE) < 0.1 else
                             "it differs from the paper's, whose rollouts (up to 32k tokens) set its cost.")),
                  ]
    return lines, {"multi_over_singles": frac, "flops_multi_over_singles": flops,
                   "counted": {k: (counted.get(k) or {}).get("multi_over_singles") for k, _, _ in COMPUTE_MEASURES[1:]},
                   "paper": PAPER_COMPUTE}


def finding_matrix(sc: Scores) -> tuple[list[str], dict]:
    suites = [s for s in sc.suites if suite_domain(s) in (*DOMAINS, "general")]
    lines = ["## 3. Cross-domain synergy / interference (each RL model on every suite)",
             "Paper: interference is minimal; math, code and science help each other; IF RL helps the reasoning "
             "domains more than the reverse.", "",
             "Accuracy minus SFT in points, paired bootstrap 95% CI; **bold** = significant.", "",
             "| model | " + " | ".join(suites) + " |", "|---" * (len(suites) + 1) + "|"]
    mat = {}
    for m in [*SINGLES, "rl-multi"]:
        cells = []
        for s in suites:
            d = sc.paired(m, "sft", [s])
            mat[(m, s)] = d
            txt = _diff(d)
            cells.append(f"**{txt}**" if d and (d["ci_low"] > 0 or d["ci_high"] < 0) else txt)
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    own = [(m, s) for (m, s) in mat if m in SINGLES and suite_domain(s) == m.removeprefix("rl-")]
    off = [(m, s) for (m, s) in mat if m in SINGLES and suite_domain(s) != m.removeprefix("rl-")]
    hurt = [k for k in off if mat[k] and mat[k]["ci_high"] < 0]
    helped = [k for k in off if mat[k] and mat[k]["ci_low"] > 0]
    own_up = [k for k in own if mat[k] and mat[k]["ci_low"] > 0]
    lines += ["", f"Own-domain gains significant for {len(own_up)}/{len(own)} single-domain models; "
                  f"off-domain cells significantly helped: {len(helped)}, significantly hurt: {len(hurt)} of {len(off)}."]
    lines.append("Interference " + ("is minimal, as in the paper." if len(hurt) <= len(off) // 4 else
                                     "is NOT minimal here, unlike the paper."))
    return lines, {f"{m}|{s}": d for (m, s), d in mat.items()}


def finding_weights(analysis: Path) -> tuple[list[str], dict]:
    w = _read(analysis / "weights" / "weights.json") or {}
    pairs = [p for p in w.get("pairs", []) if p.get("a") in SINGLES and p.get("b") in SINGLES]
    lines = ["## 4. Weight-update footprints and directions",
             "Paper: the domains' update footprints overlap heavily, with positive cosine after random projection.", ""]
    if not pairs:
        return lines + ["Not measured (no weights analysis)."], {}
    lines += ["| pair | overlap | cosine (exact) | cosine (random projection) |", "| --- | --- | --- | --- |"]
    for p in pairs:
        fmt = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
        lines.append(f"| {p['a']} / {p['b']} | {fmt(p.get('overlap'))} | {fmt(p.get('cosine_exact'))} | "
                     f"{fmt(p.get('cosine_rp'))} |")
    cos = [p.get("cosine_rp") for p in pairs if p.get("cosine_rp") is not None]
    ov = [p.get("overlap") for p in pairs if p.get("overlap") is not None]
    pos = all(c > 0 for c in cos)
    lines += ["", f"Mean overlap {np.mean(ov):.3f}, mean projected cosine {np.mean(cos):.3f}: cosines "
                  f"{'all positive, as in the paper' if pos else 'NOT all positive, unlike the paper'}."]
    return lines, {"mean_overlap": float(np.mean(ov)) if ov else None, "mean_cosine_rp": float(np.mean(cos)) if cos else None}


def finding_policy(analysis: Path) -> tuple[list[str], dict]:
    pol = _read(analysis / "policy" / "policy.json") or {}
    lines = ["## 5. Policy neighbourhoods: KL against transfer",
             "Paper: performance is better explained by policy-neighbourhood transfer than by KL size alone.", ""]
    pairs = [p for p in pol.get("pairs", []) if p.get("accuracy_gap") is not None]
    if not pairs:
        return lines + ["Not measured (no policy analysis)."], {}
    lines += ["| pair | KL(a‖b) | KL(b‖a) | mean accuracy gap |", "| --- | --- | --- | --- |"]
    for p in pairs:
        lines.append(f"| {p['a']} / {p['b']} | {p['kl_ab']:.3f} | {p['kl_ba']:.3f} | {100 * p['accuracy_gap']:.1f} |")
    kl = [(p["kl_ab"] + p["kl_ba"]) / 2 for p in pairs]
    gap = [p["accuracy_gap"] for p in pairs]
    r = float(np.corrcoef(kl, gap)[0, 1]) if len(pairs) > 2 and np.std(kl) > 0 and np.std(gap) > 0 else None
    lines += ["", f"Pearson correlation of symmetric KL with the accuracy gap over {len(pairs)} pairs: "
                  f"{'—' if r is None else f'{r:.2f}'}. " + (
                      "KL size explains the accuracy differences only weakly, consistent with the paper."
                      if r is not None and abs(r) < 0.5 else
                      "KL size tracks the accuracy gap here." if r is not None else "")]
    return lines, {"kl_gap_correlation": r}


def finding_inheritance(analysis: Path) -> tuple[list[str], dict]:
    inh = _read(analysis / "inheritance" / "inheritance.json") or {}
    summ = inh.get("summary", {})
    lines = ["## 6. What merged and multi-task models inherit from the single-domain models",
             "Paper: merging mostly inherits the single-task models' abilities; multi-task training diverges more.", ""]
    if not summ:
        return lines + ["Not measured (no inheritance analysis)."], {}
    lines += ["| model | agreement with own-domain single | divergence | retained |", "| --- | --- | --- | --- |"]
    for m, s in summ.items():
        lines.append(f"| {m} | {_pct(s.get('own_agreement'))} | {_pct(s.get('own_divergence'))} | "
                     f"{_pct(s.get('own_retained'))} |")
    merges = [s["own_agreement"] for m, s in summ.items() if m.startswith("merge-") and s.get("own_agreement") is not None]
    multi = (summ.get("rl-multi") or {}).get("own_agreement")
    if merges and multi is not None:
        agrees = np.mean(merges) > multi
        lines += ["", f"Mean agreement of the merges {100 * np.mean(merges):.1f}% vs rl-multi {100 * multi:.1f}%: "
                      + ("merges inherit more, as in the paper." if agrees else "rl-multi inherits as much or more, "
                         "unlike the paper.")]
    return lines, summ


def report_stage(ctx: StageContext) -> dict:
    sc = Scores(ctx.run_root)
    analysis = ctx.inputs.get("analysis", ctx.run_root / "analysis")
    merges = sorted(v for v in sc.dirs if v.startswith("merge-"))
    head = [f"# Mix or merge? — findings of recipe `{ctx.recipe.name}` (seed {ctx.seed})", "",
            "Every figure below is computed from this run's stage outputs: accuracies are Avg@K over the "
            "problems of each suite, differences use a paired bootstrap over problems (2,000 resamples, 95% CI).",
            "", "## Overview (accuracy %, 95% CI)", "",
            "| variant | " + " | ".join(sc.suites) + " | mean |", "|---" * (len(sc.suites) + 2) + "|"]
    for v in sc.dirs:
        cells, vals = [], []
        for s in sc.suites:
            a = sc.acc(v, s)
            cells.append("—" if a is None else f"{100 * a[0]:.1f} [{100 * a[1]:.0f}, {100 * a[2]:.0f}]")
            if a:
                vals.append(a[0])
        head.append(f"| {v} | " + " | ".join(cells) + f" | {_pct(float(np.mean(vals)) if vals else None)} |")
    sections, data = [head], {}
    for name, (lines, d) in {
        "mix_vs_merge": finding_mix_vs_merge(sc, merges),
        "compute": finding_compute(analysis),
        "matrix": finding_matrix(sc),
        "weights": finding_weights(analysis),
        "policy": finding_policy(analysis),
        "inheritance": finding_inheritance(analysis),
    }.items():
        sections.append(lines)
        data[name] = d
    text = "\n\n".join("\n".join(s) for s in sections) + "\n"
    (ctx.out / "report.md").write_text(text)
    (ctx.out / "report.json").write_text(json.dumps(data, indent=2, default=str))
    link = ctx.run_root / "report.md"  # runs/<recipe>/report.md, resolves once the stage is renamed into place
    link.unlink(missing_ok=True)
    link.symlink_to(Path(ctx.name) / "report.md")
    return {"findings": list(data)}
