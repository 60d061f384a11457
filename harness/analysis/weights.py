"""Task-vector geometry: Δᵢ = Mᵢ − base for every model, compared pairwise, streaming over tensors.

Per pair (a, b) of models:

* ``cosine_exact`` — cos(Δa, Δb) over all parameters, accumulated tensor by tensor in float64 (exact, and
  memory-bounded: only one tensor of every model is held at a time).
* ``cosine_rp`` — the same cosine after a seeded Johnson–Lindenstrauss projection to ``rp_dim`` dimensions,
  applied tensor by tensor (the projection of a concatenation is the sum of the per-tensor projections).
  ``gaussian``: dense N(0, 1/k) matrix generated per (seed, tensor, chunk) — the classic JL map, O(k·D) work,
  for small models or GPUs. ``sparse``: one ±1 entry per column at a seeded hashed row (the sparse JL /
  count-sketch transform, Kane–Nelson s=1), O(D) work — the default, usable on 4B models on CPU.
  The seed is derived from (seed, tensor name, chunk), so every model sees the same projection.
* ``overlap`` — update-footprint overlap: per tensor, each model's top-``top_p`` fraction of |Δ| is its
  footprint; overlap coefficient = |Fa ∩ Fb| / min(|Fa|, |Fb|) summed over tensors.

Outputs in ``out``: ``weights.json`` (``pairs: [{a, b, cosine_exact, cosine_rp, overlap}]``, norms,
settings), ``weights_layers.csv`` (the same per layer group), ``cosine_exact.png``, ``cosine_rp.png``,
``overlap.png`` and ``cosine_layers.png``.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import time
import zlib
from pathlib import Path

import torch
from safetensors import safe_open

from harness.merge.checks import check_compatible, tensor_index

PROJECTIONS = ("sparse", "gaussian")
CHUNK = 1 << 16  # columns of the projection generated at once (gaussian: rp_dim x CHUNK floats)


def layer_group(name: str) -> str:
    m = re.search(r"layers\.(\d+)\.", name)
    if m:
        return f"layer{int(m.group(1)):03d}"
    return "embed" if "embed" in name or "lm_head" in name else "other"


class _Reader:
    """Reads one tensor at a time from a model's safetensors shards (memory-mapped, never the whole model)."""

    def __init__(self, path: Path):
        self.index = tensor_index(path)
        self.handles: dict[Path, object] = {}

    def get(self, name: str) -> torch.Tensor:
        f = self.index[name].file
        if f not in self.handles:
            self.handles[f] = safe_open(str(f), framework="pt")
        return self.handles[f].get_tensor(name)


def _seed(seed: int, name: str, chunk: int) -> int:
    return (seed * 1_000_003 + zlib.crc32(name.encode()) * 4099 + chunk) % (2**63 - 1)


def project(deltas: torch.Tensor, name: str, *, dim: int, seed: int, kind: str) -> torch.Tensor:
    """JL projection of the rows of ``deltas`` (n_models x numel) for tensor ``name`` -> n_models x dim."""
    n, numel = deltas.shape
    out = torch.zeros(n, dim, dtype=torch.float64)
    for c, start in enumerate(range(0, numel, CHUNK)):
        block = deltas[:, start:start + CHUNK]
        g = torch.Generator().manual_seed(_seed(seed, name, c))
        if kind == "gaussian":
            r = torch.randn(block.shape[1], dim, generator=g) / dim**0.5
            out += (block @ r).double()
        else:
            rows = torch.randint(0, dim, (block.shape[1],), generator=g)
            signs = torch.randint(0, 2, (block.shape[1],), generator=g).float() * 2 - 1
            out.index_add_(1, rows, (block * signs).double())
    return out


def _footprint(delta: torch.Tensor, top_p: float) -> torch.Tensor:
    k = max(1, int(top_p * delta.numel()))
    mask = torch.zeros(delta.numel(), dtype=torch.bool)
    mask[torch.topk(delta.abs(), k, sorted=False).indices] = True
    return mask


def analyze_weights(base: str | Path, models: dict[str, Path], out: Path, *, top_p: float = 0.2,
                    rp_dim: int | None = None, projection: str = "sparse", seed: int = 0, exact: bool = True,
                    plots: bool = True) -> dict:
    """Compare the task vectors of ``models`` (label -> model dir) relative to ``base``; write into ``out``."""
    if projection not in PROJECTIONS:
        from harness.errors import unknown

        raise unknown("projection", projection, PROJECTIONS)
    rp_dim = rp_dim or (16384 if projection == "sparse" else 1024)
    t0 = time.time()
    names = list(models)
    check_compatible(base, [models[n] for n in names])
    base_r, readers = _Reader(Path(base)), [_Reader(models[n]) for n in names]
    n = len(names)
    groups: dict[str, dict[str, torch.Tensor]] = {}
    proj = torch.zeros(n, rp_dim, dtype=torch.float64)
    total = 0
    for tname in sorted(base_r.index):
        b = base_r.get(tname).float().flatten()
        d = torch.stack([r.get(tname).float().flatten() - b for r in readers])
        del b
        total += d.shape[1]
        g = groups.setdefault(layer_group(tname), {"dots": torch.zeros(n, n, dtype=torch.float64),
                                                   "inter": torch.zeros(n, n, dtype=torch.float64),
                                                   "size": torch.zeros(n, dtype=torch.float64)})
        for start in range(0, d.shape[1], 1 << 20):  # float64 accumulation, 1M columns at a time
            dd = d[:, start:start + (1 << 20)].double()
            g["dots"] += dd @ dd.T if exact else torch.diag((dd**2).sum(1))
        masks = [_footprint(row, top_p) for row in d]
        for i, j in itertools.product(range(n), repeat=2):
            if i <= j:
                g["inter"][i, j] += (masks[i] & masks[j]).sum().item()
                g["inter"][j, i] = g["inter"][i, j]
        g["size"] += torch.tensor([m.sum().item() for m in masks], dtype=torch.float64)
        proj += project(d, tname, dim=rp_dim, seed=seed, kind=projection)
        del d, masks

    def cos(m: torch.Tensor, i: int, j: int) -> float | None:
        den = (m[i, i] * m[j, j]).sqrt().item()
        return m[i, j].item() / den if den > 0 else None

    def ovl(g: dict, i: int, j: int) -> float | None:
        den = min(g["size"][i].item(), g["size"][j].item())
        return g["inter"][i, j].item() / den if den > 0 else None

    tot = {k: sum(g[k] for g in groups.values()) for k in ("dots", "inter", "size")}
    pgram = proj @ proj.T
    pairs = [{"a": names[i], "b": names[j], "cosine_exact": cos(tot["dots"], i, j) if exact else None,
              "cosine_rp": cos(pgram, i, j), "overlap": ovl(tot, i, j)}
             for i, j in itertools.combinations(range(n), 2)]
    out.mkdir(parents=True, exist_ok=True)
    rows = [{"group": gname, "a": names[i], "b": names[j],
             "cosine_exact": cos(g["dots"], i, j) if exact else None, "overlap": ovl(g, i, j)}
            for gname, g in sorted(groups.items()) for i, j in itertools.combinations(range(n), 2)]
    with open(out / "weights_layers.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["group", "a", "b", "cosine_exact", "overlap"])
        w.writeheader()
        w.writerows(rows)
    result = {
        "base": str(base), "models": {k: str(v) for k, v in models.items()}, "parameters": total,
        "top_p": top_p, "projection": projection, "rp_dim": rp_dim, "seed": seed,
        "norms": {names[i]: tot["dots"][i, i].sqrt().item() for i in range(n)},
        "pairs": pairs, "wall_seconds": round(time.time() - t0, 3),
    }
    (out / "weights.json").write_text(json.dumps(result, indent=2))
    if plots and n > 1:
        from harness.analysis.plots import heatmap, layer_heatmap

        for key in ("cosine_exact", "cosine_rp", "overlap"):
            if exact or key != "cosine_exact":
                heatmap(names, pairs, key, out / f"{key}.png", diagonal=1.0)
        if exact:
            layer_heatmap(rows, "cosine_exact", out / "cosine_layers.png")
    return result
