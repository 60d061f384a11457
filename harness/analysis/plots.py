"""Heatmaps for the analyses (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def heatmap(names: list[str], pairs: list[dict], key: str, path: Path, *, diagonal: float | None = None,
            title: str | None = None, symmetric: bool = True) -> Path:
    """A names x names matrix from ``pairs`` ({a, b, key}); ``symmetric`` mirrors (a, b) onto (b, a)."""
    idx = {n: i for i, n in enumerate(names)}
    mat = [[float("nan")] * len(names) for _ in names]
    for i in range(len(names)):
        if diagonal is not None:
            mat[i][i] = diagonal
    for p in pairs:
        v = p.get(key)
        v = float("nan") if v is None else v
        mat[idx[p["a"]]][idx[p["b"]]] = v
        if symmetric:
            mat[idx[p["b"]]][idx[p["a"]]] = v
    fig, ax = plt.subplots(figsize=(1.2 + 0.8 * len(names), 1 + 0.7 * len(names)))
    im = ax.imshow(mat, cmap="viridis")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    for i, row in enumerate(mat):
        for j, v in enumerate(row):
            if v == v:
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", color="w", fontsize=7)
    ax.set_title(title or key)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def layer_heatmap(rows: list[dict], key: str, path: Path) -> Path:
    """Rows {group, a, b, key}: layer groups down, model pairs across."""
    groups = sorted({r["group"] for r in rows})
    pairs = list(dict.fromkeys(f"{r['a']}~{r['b']}" for r in rows))
    mat = [[float("nan")] * len(pairs) for _ in groups]
    for r in rows:
        v = r.get(key)
        mat[groups.index(r["group"])][pairs.index(f"{r['a']}~{r['b']}")] = float("nan") if v is None else v
    fig, ax = plt.subplots(figsize=(2 + 0.6 * len(pairs), 1.5 + 0.25 * len(groups)))
    im = ax.imshow(mat, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(pairs)), pairs, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(groups)), groups, fontsize=7)
    ax.set_title(f"{key} per layer")
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
