"""Compute ledger: device-hours per stage from a run's manifests, and multi-task RL as a fraction of the four
single-domain RL runs (the paper: 2166.4 / (2172.8 + 3187.2 + 787.2 + 377.6) = 33.2% of the GPU hours).

Every finished stage directory ``runs/<recipe>/<stage>/manifest.json`` carries at least
``{stage, wall_seconds, device_seconds, device, status}``; device-seconds are GPUs x wall on a GPU machine
and cores x wall on CPU (or what the stage measured itself), so CPU and GPU runs are each compared with
themselves, never with each other.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from harness.errors import UserError
from harness.recipe import DOMAINS

REFERENCE = Path(__file__).resolve().parent / "reference" / "gpu_hours.csv"
PAPER_ROWS = {"Math": "rl-math", "Coding": "rl-code", "Science": "rl-science", "IF": "rl-if",
              "Multi-Task": "rl-multi", "MT-OPD": "opd-multi"}
SINGLES = tuple(f"rl-{d}" for d in DOMAINS)


def read_manifests(run_dir: Path) -> list[dict]:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: run directory not found (expected runs/<recipe>)")
    rows = []
    for mf in sorted(run_dir.glob("*/manifest.json")):
        try:
            m = json.loads(mf.read_text())
        except json.JSONDecodeError as e:
            raise UserError(f"{mf}: invalid JSON: {e}") from None
        missing = [k for k in ("stage", "device_seconds") if k not in m]
        if missing:
            raise UserError(f"{mf}: manifest lacks {', '.join(missing)}")
        if m.get("status", "done") != "done":
            continue
        rows.append({"stage": m["stage"], "device": m.get("device", "?"),
                     "wall_seconds": float(m.get("wall_seconds") or 0.0),
                     "device_seconds": float(m["device_seconds"] or 0.0),
                     "device_hours": float(m["device_seconds"] or 0.0) / 3600})
    if not rows:
        raise UserError(f"{run_dir}: no finished stage manifests (*/manifest.json)")
    return rows


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
    result = {"run": str(run_dir), "stages": rows, **_fractions(hours), "paper": paper_reference(),
              "devices": sorted({r["device"] for r in rows})}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compute.json").write_text(json.dumps(result, indent=2))
        with open(out / "compute.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["stage", "device", "wall_seconds", "device_seconds", "device_hours"])
            w.writeheader()
            w.writerows(rows)
    return result


def format_compute(result: dict) -> str:
    lines = [f"{'stage':<18} {'device':<6} {'wall s':>10} {'device-hours':>13}"]
    for r in result["stages"]:
        lines.append(f"{r['stage']:<18} {r['device']:<6} {r['wall_seconds']:>10.1f} {r['device_hours']:>13.4f}")

    def pct(v):
        return "n/a (needs rl-math, rl-code, rl-science, rl-if and rl-multi)" if v is None else f"{100 * v:.1f}%"

    paper = result["paper"]
    lines.append(f"multi-task RL / four single-domain RL runs: {pct(result['multi_over_singles'])} "
                 f"(paper: {pct(paper['multi_over_singles'])} = {paper['gpu_hours']['rl-multi']:.1f} / "
                 f"{paper['singles_hours']:.1f} GPU-hours)")
    lines.append(f"MT-OPD / four single-domain RL runs: {pct(result['opd_over_singles'])} "
                 f"(paper: {pct(paper['opd_over_singles'])})")
    if len(result["devices"]) > 1:
        lines.append(f"note: stages ran on different devices ({', '.join(result['devices'])}); "
                     "device-hours are not comparable across them")
    return "\n".join(lines)
