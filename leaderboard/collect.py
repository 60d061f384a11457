"""Read evaluation results (``DIR/<model-name>/<suite>/results.json``) into long-format rows, and the
compute ledger (``harness.ledger``) into compute per variant."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import UserError
from harness.ledger import by_stage, read_run

VARIANT_ORDER = ["base", "sft", "rl-math", "rl-code", "rl-science", "rl-if", "rl-multi", "merge-average",
                 "merge-ta", "merge-ties", "merge-ties-dare", "merge-ta-dare", "merge-sce", "opd-multi"]
RL_SINGLE = ("rl-math", "rl-code", "rl-science", "rl-if")
IF_METRICS = ("prompt_strict", "prompt_loose", "inst_strict", "inst_loose")  # IFEval's four, for IF suites


def variant_key(v: str) -> tuple:
    return (VARIANT_ORDER.index(v), v) if v in VARIANT_ORDER else (len(VARIANT_ORDER), v)


def find_results(results_dir: Path) -> list[Path]:
    d = Path(results_dir)
    if not d.is_dir():
        raise UserError(f"--results {d}: not a directory")
    found = sorted(d.glob("*/*/results.json")) + sorted(d.glob("*/results.json"))
    if not found:
        raise UserError(f"--results {d}: no <model>/<suite>/results.json below it (run `mixmerge eval` first)")
    return found


def measured_rows(results_dirs: list[Path]) -> list[dict]:
    rows: list[dict] = []
    seen: dict[tuple[str, str], Path] = {}
    for d in results_dirs:
        for path in find_results(d):
            try:
                r = json.loads(path.read_text())
                variant, bench, m = r["model"], r["suite"], r["metrics"]
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise UserError(f"{path}: not a mixmerge results.json ({e})") from None
            if not r.get("complete", True):
                continue  # an interrupted evaluation: not a result yet
            if (variant, bench) in seen:
                raise UserError(f"{path}: {variant}/{bench} also in {seen[variant, bench]}; pass one of them")
            seen[variant, bench] = path
            base = {"variant": variant, "benchmark": bench, "k": r.get("k"), "n": r.get("n"), "source": "measured"}
            rows.append({**base, "metric": "accuracy", "value": 100 * m["accuracy"],
                         "ci_low": 100 * m["ci_low"], "ci_high": 100 * m["ci_high"]})
            for name, val in sorted(m.items()):
                if name.startswith("pass@"):
                    rows.append({**base, "metric": name, "value": 100 * val, "ci_low": None, "ci_high": None})
                elif name in IF_METRICS:  # already in percent
                    rows.append({**base, "metric": name, "value": float(val), "ci_low": None, "ci_high": None})
    return rows


def variant_compute(values: dict[str, float], variants: list[str]) -> dict[str, float]:
    """Compute of the RL phase behind each variant (any measure: seconds, FLOPs): merges and MT-OPD reuse the four
    single-domain runs."""
    four = sum(values[s] for s in RL_SINGLE) if all(s in values for s in RL_SINGLE) else None
    out: dict[str, float] = {}
    for v in variants:
        if v.startswith("rl-") and v in values:
            out[v] = values[v]
        elif v.startswith(("merge-", "opd-")) and four is not None:
            out[v] = four + values.get(v, 0.0)
    return out


def variant_compute_hours(ledger: dict[str, float], variants: list[str]) -> dict[str, float]:
    """Device-hours behind each variant from ``stage -> device_seconds``."""
    return {v: s / 3600 for v, s in variant_compute(ledger, variants).items()}


def ledger_from_run(run_root: Path, measure: str = "device_seconds") -> dict[str, float]:
    """stage -> ``measure`` (``device_seconds`` or a counted one, e.g. ``flops``) of the run's finished stages, read
    by ``harness.ledger.read_run`` (the one reader of stage manifests)."""
    return by_stage(read_run(run_root), measure)
