"""The LiveCodeBench rules of the drivers, one by one, on both backends; results that fake equality fail.

Each rule is lcb_runner's (LiveCodeBench/LiveCodeBench at 28fef95, ``lcb_runner/evaluation/testing_util.py`` =
T, ``compute_code_generation_metrics.py`` = C):
- stdout: strip, split lines, strip each, equal line counts, each line string-equal or all tokens equal as
  ``Decimal`` -- no tolerance (T:372-422; its comment: ``np.isclose(50000000000000000, 50000000000000001) = True``
  is the gotcha it avoids), so a sum off by one around 10**13 fails;
- call-based: json.loads per input line, tuple -> list, ``prediction == gt_out`` (T:245-268);
- prefix T:27 ends its star imports with ``from builtins import *``, so ``pow(2, n, 10**9 + 7)`` is the builtin;
  ``sys.set_int_max_str_digits(50000)`` (C:7);
- per-test limit 6 s (``runner/parser.py:93``), whole sample (6 + 1) x tests + 5 s (C:42-44).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from harness.sandbox.checks import (
    FunctionalCheck,
    HumanEvalCheck,
    StdioCheck,
    check_functional,
    check_many,
    check_stdio,
    sample_limit_s,
)
from harness.sandbox.driver import IMPORTS

HUMANEVAL = Path(__file__).resolve().parents[2] / "../shared/external/humaneval/HumanEval.jsonl.gz"
MOD = 10**9 + 7
SUM_CODE = "n = int(input())\nprint(sum(map(int, input().split())){})\n"
BIG = [{"input": "3\n4000000000000 5000000000000 1000000000001\n", "output": "10000000000001\n"},
       {"input": "2\n9999999999999 1\n", "output": "10000000000000\n"}]


def test_big_integer_off_by_one_fails_on_stdio(sandbox):
    assert check_stdio(sandbox, SUM_CODE.format(""), BIG).passed
    r = check_stdio(sandbox, SUM_CODE.format(" + 1"), BIG)
    assert not r.passed and r.n_passed == 0 and "wrong answer" in r.detail


def test_modular_result_off_by_one_fails_call_based(sandbox):
    tests = [{"input": "100", "output": str(pow(2, 100, MOD))}, {"input": "12345", "output": str(pow(2, 12345, MOD))}]
    good = "class Solution:\n    def count(self, n: int) -> int:\n        return pow(2, n, 10**9 + 7)\n"
    bad = "class Solution:\n    def count(self, n: int) -> int:\n        return (pow(2, n, 10**9 + 7) + 1) % (10**9 + 7)\n"
    assert check_functional(sandbox, good, "count", tests).passed
    r = check_functional(sandbox, bad, "count", tests)
    assert not r.passed and "wrong answer" in r.detail


def test_builtin_pow_and_big_int_strings(sandbox):
    """pow is the builtin after the prefix's star imports (math.pow would raise TypeError on 3 arguments)."""
    code = "n = int(input())\nprint(pow(2, n, 10**9 + 7))\nprint(len(str(10 ** 20000)))\n"
    r = check_stdio(sandbox, code, [{"input": "1000000\n", "output": f"{pow(2, 10**6, MOD)}\n20001\n"}])
    assert r.passed, r.detail
    assert "from builtins import *\nfrom typing import *\n" in IMPORTS and IMPORTS.endswith("sys.setrecursionlimit(50000)\n")


def test_decimal_tokens_exact_and_line_counts(sandbox):
    echo = "import sys\nsys.stdout.write(sys.stdin.read())\n"
    cases = [("1e3 0.50\n", "1000 .5", True), ("  a b \n\n c\n", "a b\n\nc", True),
             ("0.1", "0.10000001", False), ("1 2\n", "1 2 0", False), ("1\n2\n", "1\n2\n3", False),
             ("50000000000000001", "50000000000000000", False), ("Yes", "yes", False), ("", "", True)]
    got = check_many(sandbox, [StdioCheck(echo, [{"input": i, "output": o}]) for i, o, _ in cases])
    assert [r.passed for r in got] == [ok for _, _, ok in cases], [r.detail for r in got]


def test_call_based_tuple_becomes_list_strict_equality(sandbox):
    def one(code, out):
        return FunctionalCheck(code, "f", [{"input": "[1, 2]\n3", "output": out}])

    cases = [(one("def f(a, b):\n    return (a[0], b)\n", "[1, 3]"), True),  # tuple -> list (T:265-266)
             (one("def f(a, b):\n    return [(a[0], b)]\n", "[[1, 3]]"), False),  # only the top level
             (one("def f(a, b):\n    return b / 2\n", "1.5"), True),
             (one("def f(a, b):\n    return b / 3\n", "1.0000001"), False),
             (one("def f(a, b):\n    return str(b)\n", "3"), False),
             (one("def f(a, b):\n    return {'k': [b, None, True]}\n", '{"k": [3, null, true]}'), True)]
    got = check_many(sandbox, [c for c, _ in cases])
    assert [r.passed for r in got] == [ok for _, ok in cases], [r.detail for r in got]


def test_forty_tests_of_a_third_of_a_second_pass(sandbox):
    """Each test has its own 6 s; the sample (6 + 1) x 40 + 5 = 285 s: a 10 s budget per problem would fail."""
    code = "import time\n\ndef f(x):\n    t = time.perf_counter()\n    while time.perf_counter() - t < 0.35:\n        pass\n    return x\n"
    tests = [{"input": str(i), "output": str(i)} for i in range(40)]
    assert sample_limit_s(6, 40) == 285
    r = check_functional(sandbox, code, "f", tests)
    assert r.passed and r.n_passed == 40, r.detail
    slow = check_functional(sandbox, code.replace("0.35", "1.5"), "f", tests[:3], test_timeout_s=1)
    assert not slow.passed and slow.n_passed == 0 and "test 0: time limit exceeded" in slow.detail


def test_errors_name_the_candidates_own_lines(sandbox):
    bad_syntax = "x = 1\ny = 2\nprint((x + y)\n"
    r = check_stdio(sandbox, bad_syntax, [{"input": "", "output": "3"}])
    assert not r.passed and "SyntaxError" in r.detail and "line 3" in r.detail, r.detail
    r = check_functional(sandbox, "def f(x):\n    y = x\n    return y // 0\n", "f", [{"input": "1", "output": "1"}])
    assert "ZeroDivisionError" in r.detail and "(line 3)" in r.detail, r.detail
    fut = "from __future__ import annotations\n\ndef f(x: List[int]) -> int:\n    return len(x)\n"
    assert check_functional(sandbox, fut, "f", [{"input": "[1, 2]", "output": "2"}]).passed


FAKE = ("class _A:\n    def __eq__(self, other):\n        return True\n\n    def __ne__(self, other):\n"
        "        return False\n\n    __hash__ = object.__hash__\n\n")


@pytest.mark.parametrize("value", ["_A()", "[1, _A()]", "{'k': _A()}", "type('I', (int,), {'__eq__': lambda s, o: True})(3)",
                                   "(lambda l: (l.append(l), l)[1])([_A()])"])
def test_results_that_fake_equality_fail_call_based(sandbox, value):
    code = FAKE + f"class Solution:\n    def f(self, x):\n        return {value}\n"
    r = check_functional(sandbox, code, "f", [{"input": "1", "output": "[1, 2]"}])
    assert not r.passed and "result rejected" in r.detail, r.detail


def _humaneval() -> list[dict]:
    if not HUMANEVAL.exists():
        pytest.skip(f"{HUMANEVAL} not present")
    with gzip.open(HUMANEVAL, "rt") as f:
        return [json.loads(line) for line in f]


def test_humaneval_stub_faking_equality_fails_and_canonical_passes(sandbox):
    """On all 164 real HumanEval problems: ``return _A()`` fails (the official check's ``==`` accepts it), the
    canonical solutions still pass through the wrapped candidate."""
    probs = _humaneval()
    stub = [HumanEvalCheck(FAKE + p["prompt"] + "    return _A()\n", p["test"], p["entry_point"]) for p in probs]
    gold = [HumanEvalCheck(p["prompt"] + p["canonical_solution"], p["test"], p["entry_point"]) for p in probs]
    res = check_many(sandbox, stub + gold)
    assert [r.passed for r in res] == [False] * len(stub) + [True] * len(gold), [r.detail for r in res if r.passed]
    assert all("result rejected" in r.detail for r in res[: len(stub)])


def test_humaneval_check_that_swallows_the_rejection_still_fails(sandbox):
    test = "def check(candidate):\n    try:\n        assert candidate(1) == 2\n    except AssertionError:\n        pass\n"
    r = check_many(sandbox, [HumanEvalCheck(FAKE + "def g(x):\n    return _A()\n", test, "g")])[0]
    assert not r.passed and "result rejected" in r.detail


def test_per_test_limit_comes_from_the_recipe_sandbox_section():
    from harness.recipe import SandboxSection
    from harness.sandbox import Limits
    from harness.sandbox.checks import to_job

    lim = Limits.from_section(SandboxSection(test_timeout_s=2))
    assert lim.test_timeout_s == 2 and Limits().test_timeout_s == 6  # lcb_runner's --timeout default
    job, _ = to_job(StdioCheck("print(1)", [{"input": "", "output": "1"}] * 3), lim)
    assert (job.limits.timeout_s, job.limits.cpu_s, job.limits.memory_mb) == (14, 14, lim.memory_mb)
    job, _ = to_job(FunctionalCheck("def f(x): return x", "f", [{"input": "1", "output": "1"}], test_timeout_s=1), lim)
    assert job.limits.timeout_s == 7
    he, _ = to_job(HumanEvalCheck("def f(): pass", "def check(c): pass", "f"), lim)
    assert he.limits.timeout_s == lim.timeout_s  # HumanEval: the program limit
