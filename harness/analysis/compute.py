"""Compute analysis: multi-task RL as a fraction of the four single-domain RL runs, by FLOPs and tokens (counted:
the same on every machine for the same recipe and seed) and by device-seconds (timed: moves with machine load); the
paper's 2166.4 / (2172.8 + 3187.2 + 787.2 + 377.6) = 33.2% is of GPU hours, i.e. the timed measure.

Rows come from ``harness.ledger.read_run`` (every finished ``runs/<recipe>/<stage>/manifest.json``:
``{stage, wall_seconds, device_seconds, device, ledger}``); device-seconds are GPUs x wall on a GPU machine and CPU
seconds on CPU, so CPU and GPU runs are each compared with themselves, never with each other.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from harness.ledger import COUNTS, SINGLES, ratios, read_run

REFERENCE = Path(__file__).resolve().parent / "reference" / "gpu_hours.csv"
CSV_FIELDS = ["stage", "device", "wall_seconds", "device_seconds", "device_hours"]
PAPER_ROWS = {"Math": "rl-math", "Coding": "rl-code", "Science": "rl-science", "IF": "rl-if",
              "Multi-Task": "rl-multi", "MT-OPD": "opd-multi"}


def read_manifests(run_dir: Path) -> list[dict]:
    """The run's ledger rows (``harness.ledger.read_run``: the one reader of stage manifests)."""
    return read_run(run_dir)


def _fractions(hours: dict[str, float]) -> dict[str, float | None]:
    singles = [hours.get(s) for s in SINGLES]
    if any(h is None for h in singles) or sum(singles) <= 0:
        return {"multi_over_singles": None, "opd_over_singles": None, "singles_hours": None}
    total = sum(singles)
    return {"singles_hours": total,
            "multi_over_singles": hours["rl-multi"] / total if "rl-multi" in hours else None,
            "opd_over_singles": hours["opd-multi"] / total if "opd-multi" in hours else None}


def paper_reference() -> dict:
    hours = {}
    with open(REFERENCE) as fh:
        for row in csv.DictReader(fh):
            hours[PAPER_ROWS[row["method"]]] = float(row["gpu_hours"])
    return {"gpu_hours": hours, **_fractions(hours)}


def analyze_compute(run_dir: Path, out: Path | None = None) -> dict:
    rows = read_manifests(run_dir)
    hours = {r["stage"]: r["device_hours"] for r in rows}
    result = {"run": str(run_dir), "stages": rows, **_fractions(hours), "counted": ratios(rows),
              "paper": paper_reference(), "devices": sorted({r["device"] for r in rows if r["stage"] in (*SINGLES, "rl-multi", "opd-multi")})}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compute.json").write_text(json.dumps(result, indent=2))
        with open(out / "compute.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=[*CSV_FIELDS, "params", *COUNTS, "flops"], extrasaction="ignore")
            w.writeheader()
            w.writerows({**{k: r[k] for k in CSV_FIELDS}, **(r["ledger"] or {})}
                        for r in rows)
    return result


def format_compute(result: dict) -> str:
    lines = [f"{'stage':<18} {'device':<10} {'wall s':>9} {'device-hours':>13} {'generated':>10} {'trained':>10} "
             f"{'FLOPs':>10}"]
    for r in result["stages"]:
        led = r["ledger"] or {}
        counted = "".join(f" {led[k]:>10.4g}" if k in led else f" {'-':>10}"
                          for k in ("generated_tokens", "trained_tokens", "flops"))
        lines.append(f"{r['stage']:<18} {r['device']:<10} {r['wall_seconds']:>9.1f} {r['device_hours']:>13.4f}{counted}")

    def pct(v):
        return "n/a (needs rl-math, rl-code, rl-science, rl-if and rl-multi)" if v is None else f"{100 * v:.1f}%"

    paper = result["paper"]
    lines.append(f"multi-task RL / four single-domain RL runs: {pct(result['multi_over_singles'])} of the device-seconds "
                 f"(paper: {pct(paper['multi_over_singles'])} = {paper['gpu_hours']['rl-multi']:.1f} / "
                 f"{paper['singles_hours']:.1f} GPU-hours)")
    counted = result.get("counted", {})
    for m, label in (("flops", "FLOPs"), ("generated_tokens", "generated tokens")):
        lines.append(f"  by {label} (counted: independent of load and speed): {pct(counted.get(m, {}).get('multi_over_singles'))}")
    lines.append("  the paper's GPU hours are a measured time, like the device-seconds above")
    lines.append(f"MT-OPD / four single-domain RL runs: {pct(result['opd_over_singles'])} "
                 f"(paper: {pct(paper['opd_over_singles'])})")
    if len(result["devices"]) > 1:
        lines.append(f"note: the RL stages ran on different devices ({', '.join(result['devices'])}); "
                     "their device-hours are not comparable")
    return "\n".join(lines)
