"""checks: HumanEval canonical solutions pass, early exits never pass, stdio/functional comparison rules."""

from __future__ import annotations

import gzip
import json

import pytest
from need import external_file

from harness.sandbox import Limits
from harness.sandbox.checks import (
    FunctionalCheck,
    HumanEvalCheck,
    check_functional,
    check_humaneval,
    check_many,
    check_stdio,
)


def humaneval(n: int) -> list[dict]:
    with gzip.open(external_file("humaneval/HumanEval.jsonl.gz"), "rt") as f:
        return [json.loads(line) for line in f][:n]


def test_humaneval_canonical_pass_and_wrong_fail(sandbox):
    probs = humaneval(40)
    good = [HumanEvalCheck(p["prompt"] + p["canonical_solution"], p["test"], p["entry_point"]) for p in probs]
    bad = [HumanEvalCheck(p["prompt"] + "    return None\n", p["test"], p["entry_point"]) for p in probs]
    res = check_many(sandbox, good + bad)
    assert [r.passed for r in res] == [True] * len(good) + [False] * len(bad)
    assert all(r.n_total == 1 for r in res)


@pytest.mark.parametrize(
    "tail",
    [
        "import os; os._exit(0)",
        "import sys; sys.exit(0)",
        "raise SystemExit",
        "import os, signal; os.kill(os.getpid(), 9)",
    ],
)
def test_exit_before_tests_never_passes(sandbox, tail):
    prog = "def add(a, b):\n    return a + b\n" + tail + "\n"
    r = check_humaneval(sandbox, prog, "def check(c):\n    assert c(2, 3) == 5\n", "add")
    assert not r.passed and r.n_passed == 0


def test_forged_marker_without_nonce_fails(sandbox):
    prog = 'import os\nprint(\'MIXMERGE-RESULT 0000 {"passed": 1, "total": 1, "detail": ""}\')\nos._exit(0)\n'
    r = check_humaneval(sandbox, prog, "def check(c):\n    assert False\n", "f")
    assert not r.passed


def test_stdio_whitespace_decimal_and_early_stop(sandbox):
    """Tokens equal as Decimal pass (testing_util.py:404-418), a rounded float does not: no tolerance."""
    code = "n = int(input())\nprint(n * 2,   n / 2)\nprint('seen', n, file=open('/tmp/seen', 'a'))\n"
    tests = [
        {"input": "3\n", "output": "6 1.50\n"},
        {"input": "4", "output": "  8\t2\n\n"},
        {"input": "5", "output": "10 2.5000001"},
        {"input": "6", "output": "12 3.0"},
    ]
    r = check_stdio(sandbox, code, tests)
    assert (r.passed, r.n_passed, r.n_total) == (False, 2, 4)
    assert "test 2: wrong answer" in r.detail
    assert check_stdio(sandbox, code, tests[:2]).passed


def test_stdio_reads_fd0_and_buffer(sandbox):
    tests = [{"input": "3 4\n", "output": "7"}, {"input": "10 -2\n", "output": "8"}]
    assert check_stdio(
        sandbox, "import sys\nprint(sum(map(int, sys.stdin.buffer.read().split())))", tests
    ).passed
    assert check_stdio(sandbox, "print(sum(map(int, open(0).read().split())))", tests).passed
    r = check_stdio(sandbox, "import sys\nsys.exit(0)\n", tests)
    assert not r.passed and "wrong answer" in r.detail
    assert not check_stdio(sandbox, "def broken(:\n", tests).passed


def test_functional_leetcode_and_plain(sandbox):
    code = (
        "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
        "        seen = {}\n        for i, x in enumerate(nums):\n"
        "            if target - x in seen:\n                return (seen[target - x], i)\n"
        "            seen[x] = i\n"
    )
    tests = [{"input": "[2,7,11,15]\n9", "output": "[0, 1]"}, {"input": "[3,3]\n6", "output": "[0,1]"}]
    assert check_functional(sandbox, code, "twoSum", tests).passed
    r = check_functional(
        sandbox,
        "def f(a, b):\n    return a / b\n",
        "f",
        [
            {"input": [1, 4], "output": 0.25},
            {"input": [1, 0], "output": 0},
            {"input": [1, 1], "output": 1},
        ],
    )
    assert (r.passed, r.n_passed) == (False, 1) and "ZeroDivisionError" in r.detail
    assert (
        check_many(
            sandbox, [FunctionalCheck("def g(x):\n    return x\n", "g", [{"input": "1", "output": "1.5"}])]
        )[0].passed
        is False
    )  # 1 != 1.5: strict equality, no tolerance (testing_util.py:268)


def test_timeout_reports_progress(sandbox):
    code = "n = int(input())\nwhile n == 2:\n    pass\nprint(n)\n"
    tests = [{"input": str(i), "output": str(i)} for i in range(4)]
    r = check_stdio(sandbox, code, tests, test_timeout_s=1)
    assert (r.passed, r.n_passed) == (False, 2) and "test 2: time limit exceeded" in r.detail


def test_stdio_large_input_and_output(sandbox):
    n = 700_000  # 1.4 MB in and out: more than output_bytes, which only caps what comes back
    tests = [{"input": f"{n}\n" + " ".join(["7"] * n) + "\n", "output": "\n".join(["7"] * n)}]
    code = "import sys\ndata = sys.stdin.read().split()\nsys.stdout.write('\\n'.join(data[1:]))\n"
    r = check_stdio(sandbox, code, tests, Limits(timeout_s=20, cpu_s=20, memory_mb=512, pids=32, tmpfs_mb=16))
    assert r.passed, r.detail


def test_bad_limits_are_user_errors():
    from harness.errors import UserError

    with pytest.raises(UserError, match="timeout_s=0"):
        Limits(timeout_s=0)
