"""harness.eval.metrics against independent computations: brute-force pass@k, a hand-written bootstrap, known cases."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from harness.eval import metrics as M


def _brute_pass_at_k(n: int, c: int, k: int) -> float:
    """Share of all k-subsets of the n samples (c correct) that hold at least one correct sample."""
    samples = [1] * c + [0] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


def _reference_bootstrap(v, n_boot, alpha, seed):
    v = np.asarray(v, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = np.array([v[rng.integers(0, v.size, size=v.size)].mean() for _ in range(n_boot)])
    return means


def test_per_problem_mean_and_avg_at_k():
    assert M.per_problem_mean([[1, 0], [1, 1], []]).tolist() == [0.5, 1.0, 0.0]
    assert M.per_problem_mean([[0.25, 0.75]]).dtype == np.float64
    assert M.avg_at_k([[1, 0, 0, 0], [1, 1, 1, 1]]) == 0.625
    assert M.avg_at_k([[1, 0], []]) == 0.25  # an empty problem counts as 0, it is not dropped
    assert math.isnan(M.avg_at_k([]))


@pytest.mark.parametrize("n,c,k", [(n, c, k) for n in range(1, 7) for c in range(n + 1) for k in range(1, n + 1)])
def test_pass_at_k_one_equals_brute_force(n, c, k):
    assert M.pass_at_k_one(n, c, k) == pytest.approx(_brute_pass_at_k(n, c, k), abs=1e-12)


def test_pass_at_k_one_boundaries():
    assert M.pass_at_k_one(4, 2, 2) == pytest.approx(1 - 1 / 6)  # n - c == k: one all-wrong subset
    assert M.pass_at_k_one(4, 2, 3) == 1.0
    assert M.pass_at_k_one(4, 0, 4) == 0.0
    assert M.pass_at_k_one(4, 4, 4) == 1.0
    with pytest.raises(ValueError, match=r"^pass@5 needs at least 5 samples per problem, got 4$"):
        M.pass_at_k_one(4, 1, 5)
    assert M.pass_at_k_one(5, 1, 5) == 1.0  # k == n is allowed


def test_pass_at_k_counts_only_full_rewards():
    # 0.999 and 0.5 are partial rewards, not correct samples; 1.0 is
    scores = [[1.0, 0.0, 0.0, 0.0], [0.999, 0.5, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]]
    expected = np.mean([_brute_pass_at_k(4, 1, 2), 0.0, _brute_pass_at_k(4, 2, 2)])
    assert M.pass_at_k(scores, 2) == pytest.approx(expected, abs=1e-12)
    assert M.pass_at_k([[2.0, 0.0]], 1) == 0.5  # >= 1.0 counts as correct
    assert math.isnan(M.pass_at_k([], 1))


def test_bootstrap_ci_equals_hand_written_bootstrap():
    v = [0, 1, 1, 0, 1, 0.5, 1, 1, 0, 1]
    means = _reference_bootstrap(v, 2000, 0.05, 0)
    lo, hi = M.bootstrap_ci(v)  # the defaults: 2000 resamples, 95%, seed 0
    assert (lo, hi) == pytest.approx((np.quantile(means, 0.025), np.quantile(means, 0.975)), abs=1e-12)
    means = _reference_bootstrap(v, 300, 0.2, 7)
    assert M.bootstrap_ci(v, n_boot=300, alpha=0.2, seed=7) == pytest.approx(
        (np.quantile(means, 0.1), np.quantile(means, 0.9)), abs=1e-12)
    assert lo < np.mean(v) < hi
    assert M.bootstrap_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)
    assert all(math.isnan(x) for x in M.bootstrap_ci([]))


def test_paired_bootstrap_equals_hand_written_bootstrap():
    a = [1, 1, 0, 1, 1, 0, 1, 1]
    b = [0, 1, 0, 0, 1, 0, 0, 1]
    d = np.subtract(a, b, dtype=np.float64)
    means = _reference_bootstrap(d, 2000, 0.05, 0)
    r = M.paired_bootstrap(a, b)
    assert r["diff"] == pytest.approx(3 / 8)
    assert r["n"] == 8
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((np.quantile(means, 0.025), np.quantile(means, 0.975)))
    p = 2 * min((means <= 0).mean(), (means >= 0).mean())
    assert r["p_value"] == pytest.approx(p, abs=1e-12)
    assert 0 < r["p_value"] < 0.2
    means = _reference_bootstrap(d, 500, 0.5, 3)
    r = M.paired_bootstrap(a, b, n_boot=500, alpha=0.5, seed=3)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((np.quantile(means, 0.25), np.quantile(means, 0.75)))
    # b - a: the sign flips, the p-value does not
    assert M.paired_bootstrap(b, a)["diff"] == pytest.approx(-3 / 8)
    same = M.paired_bootstrap([1, 0, 1], [1, 0, 1])
    assert same["diff"] == 0.0 and same["p_value"] == 1.0  # 2 * 1.0 is capped at 1
    with pytest.raises(ValueError, match=r"^paired bootstrap needs the same problems on both sides: 3 vs 2$"):
        M.paired_bootstrap([1, 0, 1], [1, 0])


def test_summarize_keys_and_values():
    scores = [[1, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]]
    s = M.summarize(scores)
    lo, hi = M.bootstrap_ci(M.per_problem_mean(scores), seed=0)
    assert s == {"accuracy": pytest.approx(5 / 12), "ci_low": lo, "ci_high": hi, "n": 3, "k": 4,
                 "avg@4": pytest.approx(5 / 12), "pass@4": pytest.approx(2 / 3),
                 "pass@1": pytest.approx(M.pass_at_k(scores, 1))}
    assert s["pass@1"] == pytest.approx(5 / 12)  # pass@1 is the mean correctness
    assert M.summarize(scores, seed=1)["ci_low"] == M.bootstrap_ci(M.per_problem_mean(scores), seed=1)[0]
    # K is the smallest sample count; with K == 1 there is no pass@k
    lo, hi = M.bootstrap_ci([0.5, 1.0])
    assert M.summarize([[1, 0], [1]]) == {"accuracy": 0.75, "ci_low": lo, "ci_high": hi, "n": 2, "k": 1}
    assert M.summarize([[1, 0, 1], [1, 1]])["k"] == 2
    empty = M.summarize([])
    assert math.isnan(empty["accuracy"]) and empty["n"] == 0 and empty["k"] == 0


# Continuous rewards: with 0/1 scores many quantiles coincide, so a wrong resample count, alpha or seed could
# give the same interval by chance; partial rewards (IFEval's loose scores, code's share of tests) do not.
CONT = np.random.default_rng(11).random(37)


def test_bootstrap_defaults_and_quantiles_on_continuous_values():
    means = _reference_bootstrap(CONT, 2000, 0.05, 0)
    assert M.bootstrap_ci(CONT) == pytest.approx((np.quantile(means, 0.025), np.quantile(means, 0.975)), abs=1e-15)
    assert M.bootstrap_ci(CONT) != M.bootstrap_ci(CONT, n_boot=2001)
    assert M.bootstrap_ci(CONT) != M.bootstrap_ci(CONT, seed=1)
    other = CONT[::-1].copy()
    d = CONT - other
    means = _reference_bootstrap(d, 2000, 0.05, 0)
    r = M.paired_bootstrap(CONT, other)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((np.quantile(means, 0.025), np.quantile(means, 0.975)),
                                                        abs=1e-15)
    assert M.paired_bootstrap(CONT, other, seed=1)["ci_low"] != r["ci_low"]
    scores = [[x, 1 - x] for x in CONT] + [[x, x] for x in CONT[:5]]
    s = M.summarize(scores, seed=3)
    assert (s["ci_low"], s["ci_high"]) == M.bootstrap_ci(M.per_problem_mean(scores), seed=3)
    assert s["ci_low"] != M.summarize(scores)["ci_low"]  # the seed reaches the bootstrap
    assert M.summarize(scores)["ci_low"] == M.bootstrap_ci(M.per_problem_mean(scores), seed=0)[0]  # default seed 0


def test_low_precision_inputs_are_accumulated_in_float64():
    x32 = CONT.astype(np.float32)
    x64 = x32.astype(np.float64)  # the same values, exactly
    assert M.bootstrap_ci(x32) == M.bootstrap_ci(x64)
    r32, r64 = M.paired_bootstrap(x32, x64[::-1].astype(np.float32)), M.paired_bootstrap(x64, x64[::-1].copy())
    assert r32 == r64
    r32 = M.paired_bootstrap(x64, x64[::-1].astype(np.float32))
    assert r32 == r64


def test_single_problem_and_no_numpy_warnings():
    assert M.bootstrap_ci([0.7]) == (0.7, 0.7)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty input is answered, not computed (no "empty slice")
        assert math.isnan(M.avg_at_k([]))
        assert math.isnan(M.pass_at_k([], 1))
        assert math.isnan(M.summarize([])["accuracy"])
        assert all(math.isnan(x) for x in M.bootstrap_ci([]))


def test_summarize_pass_at_k_from_two_samples():
    s = M.summarize([[1, 0], [0, 0], [1, 1]])
    assert s["k"] == 2 and s["pass@2"] == pytest.approx(2 / 3) and s["avg@2"] == pytest.approx(0.5)
    assert s["pass@1"] == pytest.approx(0.5)
