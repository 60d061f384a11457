"""The paper's published tables (``leaderboard/reference/*.csv``, copied verbatim) as long-format rows.

Benchmark names of the merge table are mapped onto the main table's; merge methods become variants
``Merge: <method>``; GPU hours become ``metric=gpu_hours`` rows on the pseudo-benchmark ``training``.
"""

from __future__ import annotations

import csv
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

BENCHMARK_ALIASES = {
    "LCB v5": "LiveCodeBench v5", "LCB v6": "LiveCodeBench v6", "GPQA-D": "GPQA-Diamond",
    "IFEval (strict)": "IFEval (strict prompt)",
}
GPU_HOURS_VARIANT = {"Math": "RL-Math", "Coding": "RL-Coding", "Science": "RL-Science", "IF": "RL-IF",
                     "Multi-Task": "RL-Multi", "MT-OPD": "MT-OPD"}
# compute behind a paper variant (GPU hours of the RL phase): merging and MT-OPD reuse the four RL runs
SINGLE = ("RL-Math", "RL-Coding", "RL-Science", "RL-IF")


def _read(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, newline="") as f:
        return list(csv.DictReader(f))


def _row(variant, benchmark, metric, value, table) -> dict:
    return {"variant": variant, "benchmark": benchmark, "metric": metric, "value": float(value), "ci_low": None,
            "ci_high": None, "k": None, "n": None, "source": "paper", "table": table}


def paper_rows() -> list[dict]:
    rows = []
    for r in _read("main_results.csv"):
        bench = r.pop("benchmark")
        rows += [_row(v, bench, "accuracy", x, "main") for v, x in r.items()]
    for r in _read("merge_methods.csv"):
        method = r.pop("method")
        variant = method if method == "MT-OPD" else f"Merge: {method}"
        rows += [_row(variant, BENCHMARK_ALIASES.get(b, b), "accuracy", x, "merge")
                 for b, x in r.items() if b != "Avg."]
    for r in _read("gpu_hours.csv"):
        rows.append(_row(GPU_HOURS_VARIANT[r["method"]], "training", "gpu_hours", r["gpu_hours"], "gpu_hours"))
    return rows


def paper_compute() -> dict[str, float]:
    """GPU hours behind each main-table variant (merges: the four single-domain runs; MT-OPD: those + its own)."""
    hours = {GPU_HOURS_VARIANT[r["method"]]: float(r["gpu_hours"]) for r in _read("gpu_hours.csv")}
    four = sum(hours[v] for v in SINGLE)
    out = {v: hours[v] for v in (*SINGLE, "RL-Multi")}
    out["Model Merging"] = four
    out["MT-OPD"] = four + hours["MT-OPD"]
    return out


def paper_compute_stages() -> dict[str, float]:
    """The paper's GPU hours keyed by our stage names (rl-math, ..., rl-multi, opd-multi)."""
    stage = {"Math": "rl-math", "Coding": "rl-code", "Science": "rl-science", "IF": "rl-if",
             "Multi-Task": "rl-multi", "MT-OPD": "opd-multi"}
    return {stage[r["method"]]: float(r["gpu_hours"]) for r in _read("gpu_hours.csv")}
