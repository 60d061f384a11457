"""The RL prompt stream: every step's block holds each domain by its share of the mix."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.errors import UserError
from harness.train.data import _counts, mixed_stream


def _pools(n=5):
    return {d: [{"id": f"{d}-{i}", "domain": d} for i in range(n)] for d in ("math", "code", "science", "if")}


def test_uniform_mix_gives_equal_blocks():
    s = mixed_stream(_pools(), {d: 0.25 for d in ("math", "code", "science", "if")}, steps=6, per_step=8, seed=0)
    assert len(s) == 48
    for b in range(6):
        assert Counter(e["domain"] for e in s[b * 8:(b + 1) * 8]) == {"math": 2, "code": 2, "science": 2, "if": 2}
    # pools of 5 are cycled without repeating a prompt before the pool is exhausted
    ids = [e["id"] for e in s[:16] if e["domain"] == "math"]
    assert len(ids) == 4 and len(set(ids)) == 4


def test_uneven_mix_evens_out_over_blocks():
    s = mixed_stream(_pools(), {"math": 0.5, "code": 0.3, "if": 0.2}, steps=10, per_step=3, seed=1)
    c = Counter(e["domain"] for e in s)
    assert c == {"math": 15, "code": 9, "if": 6}


def test_seeded_and_single_domain():
    a = mixed_stream(_pools(), {"math": 1.0}, steps=3, per_step=4, seed=2)
    b = mixed_stream(_pools(), {"math": 1.0}, steps=3, per_step=4, seed=2)
    assert [e["id"] for e in a] == [e["id"] for e in b] and {e["domain"] for e in a} == {"math"}


def test_errors_name_the_problem():
    with pytest.raises(UserError, match="no RL prompts for domain 'code'"):
        mixed_stream({"math": [{"id": 1}]}, {"math": 0.5, "code": 0.5}, steps=1, per_step=2, seed=0)
    with pytest.raises(UserError, match="positive share"):
        mixed_stream(_pools(), {"math": 0.0}, steps=1, per_step=2, seed=0)


def test_counts_sum_exactly():
    assert sum(_counts({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, 10).values()) == 10
