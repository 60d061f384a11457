"""Our LiveCodeBench verdicts against lcb_runner's own grader, item by item (run it with ``nox -s lcb_peer``).

The peer is ``nvidia-livecodebench`` 26.3 (NVIDIA's packaging of lcb_runner, installed ``--no-deps`` in the
nox session's own environment): ``compute_code_generation_metrics.check_correctness(sample, code, 6, False)``,
a generation passing when every result is > 0 (``pass_k_utils.py:33-34``). It runs programs WITHOUT a sandbox,
so it is fed only the programs written in this test tree (``lcb_programs.py``: right and wrong variants and
one-change mutants of the right ones over the shared LCB rows; the rule cases below).
Ours run in the bwrap sandbox. Deliberate difference: results that fake equality (``CHEATS``) pass lcb_runner
and fail here; they are checked apart and not counted in the agreement.
"""

from __future__ import annotations

import json
import os

import pytest
from lcb_programs import CHEATS, VARIANTS, completion, mutants

from domains.code.lcb import LCBWindow, load_window
from domains.code.verify import extract_code_lcb, verify_code_many
from harness.eval.metrics import pass_at_k_one
from harness.sandbox import Limits, get_sandbox

if os.environ.get("MIXMERGE_REQUIRE_LCB_PEER") == "1":
    from livecodebench.evaluation import compute_code_generation_metrics as peer  # the session must have it
    from livecodebench.evaluation.pass_k_utils import estimate_pass_at_k
else:
    peer = pytest.importorskip("livecodebench.evaluation.compute_code_generation_metrics",
                               reason="the peer grader lives in nox -s lcb_peer's environment")
    from livecodebench.evaluation.pass_k_utils import estimate_pass_at_k

MOD = 10**9 + 7


def _ex(qid, fmt, tests, fn=None):
    label = {"format": fmt, "tests": tests, "extract": "lcb", **({"fn_name": fn} if fn else {})}
    return {"id": qid, "domain": "code", "messages": [], "label": label, "meta": {}}


def _rule_cases():
    """(example, code, what lcb_runner's rules say) for the bugs of issue 17 and the comparison edges."""
    big = _ex("big", "stdio", [{"input": "3\n4000000000000 5000000000000 1000000000001\n", "output": "10000000000001\n"}])
    mod = _ex("mod", "functional", [{"input": "100", "output": str(pow(2, 100, MOD))},
                                     {"input": "77777", "output": str(pow(2, 77777, MOD))}], "count")
    powio = _ex("pow", "stdio", [{"input": "1000000\n", "output": f"{pow(2, 10**6, MOD)}\n"}])
    dec = _ex("dec", "stdio", [{"input": "", "output": "1000 0.5\n"}])
    tup = _ex("tup", "functional", [{"input": "[1, 2]\n3", "output": "[1, 3]"}], "f")
    slow = _ex("slow", "functional", [{"input": str(i), "output": str(i)} for i in range(40)], "f")
    spin = "import time\n\ndef f(x):\n    t = time.perf_counter()\n    while time.perf_counter() - t < 0.35:\n        pass\n    return x\n"
    return [
        (big, "n = int(input())\nprint(sum(map(int, input().split())))\n", True),
        (big, "n = int(input())\nprint(sum(map(int, input().split())) + 1)\n", False),
        (big, "n = int(input())\nprint(float(sum(map(int, input().split()))))\n", True),  # 10000000000001.0: Decimal-equal
        (big, "n = int(input())\nprint(sum(map(int, input().split())) / 1e20)\n", False),  # 1.0000000000001e-07
        (mod, "class Solution:\n    def count(self, n):\n        return pow(2, n, 10**9 + 7)\n", True),
        (mod, "class Solution:\n    def count(self, n):\n        return (pow(2, n, 10**9 + 7) + 1) % (10**9 + 7)\n", False),
        (powio, "print(pow(2, int(input()), 10**9 + 7))\n", True),
        (powio, "print(pow(2, int(input())) % (10**9 + 7))\n", True),
        (dec, "print('1e3', '.50')\n", True),
        (dec, "print(1000, 0.5000001)\n", False),
        (dec, "print(1000)\nprint(0.5)\n", False),
        (tup, "def f(a, b):\n    return (a[0], b)\n", True),
        (tup, "def f(a, b):\n    return [a[0], b + 1]\n", False),
        (slow, spin, True),
        (big, "x = (\n", False),
        (big, "while True:\n    pass\n", False),
    ]


@pytest.fixture(scope="module")
def items(external):
    path = external / "benchmarks/livecodebench/lcb_codegen_lite_native.jsonl"
    exs = {e["id"]: e for e in load_window("all", LCBWindow("release_v6", None, None), str(path))}
    out = [(exs[q], completion(code, i), want) for q, vs in VARIANTS.items() for i, (_, code, want) in enumerate(vs)]
    out += [(exs[q], completion(code, i), None) for i, (q, _, code) in enumerate(mutants())]  # verdict unknown
    return out + [(ex, completion(code, i), want) for i, (ex, code, want) in enumerate(_rule_cases())]


def _peer_passes(example, response) -> bool:
    label = example["label"]
    sample = {"input_output": json.dumps({"inputs": [t["input"] for t in label["tests"]],
                                          "outputs": [t["output"] for t in label["tests"]],
                                          "fn_name": label.get("fn_name")})}
    results, _ = peer.check_correctness(sample, extract_code_lcb(response), 6, False)
    return all(r > 0 for r in results)  # pass_k_utils.py:33-34


def _ours(pairs):
    with get_sandbox("bwrap", limits=Limits(timeout_s=10, memory_mb=1024), workers=2) as sb:
        return [v.correct for v in verify_code_many(pairs, sb)]


def test_per_item_agreement_with_lcb_runner(items):
    ours = _ours([(ex, r) for ex, r, _ in items])
    theirs = [_peer_passes(ex, r) for ex, r, _ in items]
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True)) / len(items)
    differ = [(ex["id"], a, b) for (ex, _, _), a, b in zip(items, ours, theirs, strict=True) if a != b]
    print(f"\nLCB peer agreement: {agree:.4f} over {len(items)} programs "
          f"({sum(theirs)} pass lcb_runner, {sum(ours)} pass ours); differing: {differ}")
    assert agree >= 0.99, differ
    known = [(a, w) for a, (_, _, w) in zip(ours, items, strict=True) if w is not None]
    assert [a for a, _ in known] == [w for _, w in known]  # and we say what the rules say


def test_fake_equality_passes_lcb_runner_but_not_us(items):
    exs = {ex["id"]: ex for ex, _, _ in items}
    pairs = [(exs[q], completion(c)) for q, c in CHEATS.items()]
    assert [_peer_passes(ex, r) for ex, r in pairs] == [True] * len(pairs)
    assert _ours(pairs) == [False] * len(pairs)


@pytest.mark.parametrize(("n", "c", "k"), [(4, 0, 1), (4, 1, 1), (4, 3, 2), (10, 4, 5), (5, 5, 3), (16, 1, 4)])
def test_pass_at_k_is_lcb_runners_estimator(n, c, k):
    assert pass_at_k_one(n, c, k) == pytest.approx(float(estimate_pass_at_k(n, [c], k)[0]))


def test_import_prefix_is_lcb_runners():
    from livecodebench.evaluation.testing_util import import_string

    from harness.sandbox.driver import IMPORTS

    assert IMPORTS == import_string  # testing_util.py:27, character for character
