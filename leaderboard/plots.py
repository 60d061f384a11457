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
                        out: Path, counted: dict[str, tuple[float, float]] | None = None,
                        notes: dict[str, str] | None = None) -> str:
    """Average accuracy against RL compute: this run's counted FLOPs (the same for the same recipe and seed whatever
    the load), its measured device-hours, and the paper's GPU hours (a measured time, like device-hours).
    ``notes`` adds a line under each panel's title (e.g. multi-task RL as a share of the four single runs)."""
    notes = notes or {}
    panels = [(p, t, u, k) for p, t, u, k in (
        (counted or {}, "this run: counted FLOPs", "FLOPs (2N per forward token, 6N per trained)", "counted"),
        (measured, "this run: measured device-hours", "device-hours", "measured"),
        (paper, "paper: reported GPU hours (measured time)", "GPU hours", "paper")) if p]
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(5.5 * max(1, len(panels)), 4), squeeze=False)
    for ax, (pts, title, unit, key) in zip(axes[0], panels, strict=False):
        for name, (x, acc) in pts.items():
            ax.scatter(x, acc)
            ax.annotate(name, (x, acc), fontsize=8, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel(f"RL compute ({unit})")
        ax.set_ylabel("average accuracy (%)")
        ax.set_title(title + (f"\n{notes[key]}" if key in notes else ""), fontsize=10)
    return _save(fig, out, "accuracy_vs_compute")
