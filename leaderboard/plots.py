"""Leaderboard plots as PNG + SVG files (the SVG is also inlined in the HTML page)."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _save(fig, out: Path, stem: str) -> str:
    fig.savefig(out / f"{stem}.png", dpi=120, bbox_inches="tight")
    fig.savefig(out / f"{stem}.svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = (out / f"{stem}.svg").read_text()
    return re.sub(r"<metadata>.*?</metadata>", "", svg[svg.index("<svg"):], flags=re.S)


def bars_with_ci(acc: dict[tuple[str, str], dict], benchmarks: list[str], variants: list[str], out: Path) -> str:
    """Grouped bars: one group per benchmark, one bar per variant, 95% bootstrap CI as error bars."""
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(benchmarks) * max(1, len(variants)) / 3), 4))
    width = 0.8 / max(1, len(variants))
    x = np.arange(len(benchmarks))
    for i, v in enumerate(variants):
        vals = [acc.get((v, b), {}).get("value", np.nan) for b in benchmarks]
        lo = [vals[j] - acc.get((v, b), {}).get("ci_low", vals[j]) for j, b in enumerate(benchmarks)]
        hi = [acc.get((v, b), {}).get("ci_high", vals[j]) - vals[j] for j, b in enumerate(benchmarks)]
        err = np.nan_to_num(np.array([lo, hi], dtype=float))
        ax.bar(x + (i - (len(variants) - 1) / 2) * width, vals, width, yerr=err, capsize=2, label=v)
    ax.set_xticks(x, benchmarks, rotation=20, ha="right")
    ax.set_ylabel("accuracy (Avg@K, %) with 95% CI")
    ax.set_title("Measured accuracy per benchmark")
    ax.legend(fontsize=7, ncol=2)
    return _save(fig, out, "accuracy_by_benchmark")


def accuracy_vs_compute(measured: dict[str, tuple[float, float]], paper: dict[str, tuple[float, float]],
                        out: Path) -> str:
    """Average accuracy against RL compute: measured (device-hours, from the ledger) and the paper (GPU hours)."""
    panels = [(p, t, u) for p, t, u in ((measured, "measured (this run's ledger)", "device-hours"),
                                        (paper, "paper (reported GPU hours)", "GPU hours")) if p]
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(5.5 * max(1, len(panels)), 4), squeeze=False)
    for ax, (pts, title, unit) in zip(axes[0], panels, strict=False):
        for name, (hours, acc) in pts.items():
            ax.scatter(hours, acc)
            ax.annotate(name, (hours, acc), fontsize=8, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(f"RL compute ({unit})")
        ax.set_ylabel("average accuracy (%)")
        ax.set_title(title)
    return _save(fig, out, "accuracy_vs_compute")
