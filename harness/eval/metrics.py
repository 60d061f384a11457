"""Metrics over per-problem correctness: Avg@K, unbiased pass@k, bootstrap confidence intervals.

``scores`` is a list with one entry per problem: the list of 0/1 (or [0, 1] rewards) of its K samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np


def per_problem_mean(scores: Sequence[Sequence[float]]) -> np.ndarray:
    return np.array([float(np.mean(s)) if len(s) else 0.0 for s in scores], dtype=np.float64)


def avg_at_k(scores: Sequence[Sequence[float]]) -> float:
    """Mean over problems of the mean correctness of the K samples (the paper's Avg@K)."""
    return float(per_problem_mean(scores).mean()) if len(scores) else float("nan")


def pass_at_k_one(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem with n samples of which c are correct (Chen et al., 2021)."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples per problem, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_at_k(scores: Sequence[Sequence[float]], k: int) -> float:
    vals = [pass_at_k_one(len(s), int(sum(1 for x in s if x >= 1.0)), k) for s in scores]
    return float(np.mean(vals)) if vals else float("nan")


def bootstrap_ci(
    values: Sequence[float], *, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean over problems (resampling problems, not samples)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, v.size, size=(n_boot, v.size))
    means = v[idx].mean(axis=1)
    return (float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2)))


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], *, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0
) -> dict[str, float]:
    """Difference of means (a - b) over the same problems, with a paired bootstrap CI and a two-sided p-value."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"paired bootstrap needs the same problems on both sides: {x.size} vs {y.size}")
    d = x - y
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, d.size, size=(n_boot, d.size))
    means = d[idx].mean(axis=1)
    lo, hi = np.quantile(means, alpha / 2), np.quantile(means, 1 - alpha / 2)
    p = 2 * min((means <= 0).mean(), (means >= 0).mean())
    return {"diff": float(d.mean()), "ci_low": float(lo), "ci_high": float(hi), "p_value": float(min(1.0, p)), "n": int(d.size)}


def summarize(scores: Sequence[Sequence[float]], *, seed: int = 0) -> dict[str, float]:
    """accuracy (= Avg@K) with its 95% CI over problems; pass@k for k in {1, K} when K > 1."""
    per = per_problem_mean(scores)
    lo, hi = bootstrap_ci(per, seed=seed)
    k = min((len(s) for s in scores), default=0)
    out: dict[str, float] = {"accuracy": float(per.mean()) if per.size else float("nan"), "ci_low": lo, "ci_high": hi,
                             "n": int(per.size), "k": int(k)}
    if k > 1:
        out[f"avg@{k}"] = out["accuracy"]
        out[f"pass@{k}"] = pass_at_k(scores, k)
        out["pass@1"] = pass_at_k(scores, 1)
    return out
