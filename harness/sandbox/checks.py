"""Checking candidate code against tests in the sandbox (LiveCodeBench stdio / call-based, HumanEval).

Every check is ONE execution: a driver (``driver.py``) runs all tests of a problem in the program's
process, stops at the first failure and prints a result line carrying a nonce that only the harness
and the driver's stdin know. ``passed`` is True only when that line is seen and reports every test
passed, so a program that ends early (``os._exit(0)``, ``sys.exit``) or crashes never passes.

LiveCodeBench checks (stdio, functional) give each test ``test_timeout_s`` (the check's, else the limits';
default 6 s, ``lcb_runner/runner/parser.py:93``) inside the driver, and the whole execution a wall and CPU limit of
(timeout + 1) x tests + 5 s (``lcb_runner/evaluation/compute_code_generation_metrics.py:42-44``); the
pool's limits give memory, processes and output. HumanEval checks run under the pool's limits.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from harness.sandbox.driver import IMPORTS, MARK, PROGRESS, render
from harness.sandbox.pool import Pool
from harness.sandbox.types import ExecResult, Job, Limits


@dataclass
class CheckResult:
    passed: bool
    n_passed: int
    n_total: int
    status: str  # the execution's status (ExecResult.status); "ok" = the driver ran to its end
    detail: str = ""

    @property
    def fraction(self) -> float:
        return self.n_passed / self.n_total if self.n_total else 0.0


def sample_limit_s(test_timeout_s: float, n_tests: int) -> float:
    """lcb_runner's whole-sample limit: (timeout + 1) x tests + 5 s (compute_code_generation_metrics.py:42-44)."""
    return (test_timeout_s + 1) * n_tests + 5


class _LCBLimits:
    """Per-test and whole-sample limits of the LiveCodeBench checks (``tests``, ``limits``, ``test_timeout_s``)."""

    tests: list[dict]
    limits: Limits | None
    test_timeout_s: float | None

    @property
    def n_total(self) -> int:
        return len(self.tests)

    def job_limits(self, base: Limits) -> Limits:
        lim = (self.limits or base).merged(test_timeout_s=self.test_timeout_s)
        whole = sample_limit_s(lim.test_timeout_s, len(self.tests))
        return lim.merged(timeout_s=whole, cpu_s=whole)


@dataclass(frozen=True)
class StdioCheck(_LCBLimits):
    code: str
    tests: list[dict]
    limits: Limits | None = None
    test_timeout_s: float | None = None  # None: the limits' test_timeout_s (lcb_runner's 6 s by default)

    kind = "stdio"

    def payload(self, limits: Limits) -> dict:
        tests = [{"input": str(t["input"]), "output": str(t["output"])} for t in self.tests]
        return {"code": self.code, "tests": tests, "prefix": IMPORTS, "timeout_s": limits.test_timeout_s}


@dataclass(frozen=True)
class FunctionalCheck(_LCBLimits):
    code: str
    fn_name: str
    tests: list[dict]
    limits: Limits | None = None
    test_timeout_s: float | None = None

    kind = "functional"

    def payload(self, limits: Limits) -> dict:
        tests = [{"input": t["input"], "output": t["output"]} for t in self.tests]
        return {"code": self.code, "fn_name": self.fn_name, "tests": tests, "prefix": IMPORTS,
                "timeout_s": limits.test_timeout_s}


@dataclass(frozen=True)
class HumanEvalCheck:
    program: str  # prompt + completion
    test: str  # defines check(candidate)
    entry_point: str
    limits: Limits | None = None

    kind = "humaneval"

    def payload(self, limits: Limits) -> dict:  # noqa: ARG002 - HumanEval runs under the program limits
        return {"program": self.program, "test": self.test, "entry_point": self.entry_point}

    n_total = 1

    def job_limits(self, base: Limits) -> Limits:
        return self.limits or base


Check = StdioCheck | FunctionalCheck | HumanEvalCheck


def to_job(check: Check, base: Limits | None = None) -> tuple[Job, str]:
    """The sandbox job for ``check`` (under ``base``, the pool's limits) and the nonce its result line must carry."""
    nonce = secrets.token_hex(16)
    limits = check.job_limits(base or Limits())
    return Job(render(check.kind, check.payload(limits)), stdin=nonce + "\n", limits=limits), nonce


def parse(check: Check, res: ExecResult, nonce: str) -> CheckResult:
    total = check.n_total
    progress = 0
    for line in res.stdout.splitlines():
        head, _, rest = line.partition(" ")
        if head == PROGRESS and rest.startswith(nonce + " "):
            progress = max(progress, int(rest.split()[1]))
        elif head == MARK and rest.startswith(nonce + " "):
            report = json.loads(rest[len(nonce) + 1 :])
            passed = int(report["passed"])
            ok = res.status == "ok" and passed == total and report["total"] == total
            return CheckResult(ok, passed, total, res.status, report["detail"] or ("" if ok else res.status))
    why = {
        "ok": "ended before the tests finished (no result line)",
        "error": f"exited with {res.exit_code} before the result line",
    }.get(res.status, res.status)
    tail = res.stderr.strip().splitlines()[-1:] if res.stderr.strip() else []
    detail = f"{why}{': ' + tail[0][:200] if tail else ''}{' ' + res.detail if res.detail else ''}"
    return CheckResult(False, min(progress, total), total, res.status, detail)


def check_many(sb: Pool, checks: list[Check]) -> list[CheckResult]:
    """Run ``checks`` on the pool in parallel; results in order."""
    made = [to_job(c, sb.limits) for c in checks]
    results = sb.run_many([job for job, _ in made])
    return [parse(c, r, nonce) for c, r, (_, nonce) in zip(checks, results, made, strict=True)]


def check_stdio(sb: Pool, code: str, tests: list[dict], limits: Limits | None = None,
                test_timeout_s: float | None = None) -> CheckResult:
    return check_many(sb, [StdioCheck(code, tests, limits, test_timeout_s)])[0]


def check_functional(sb: Pool, code: str, fn_name: str, tests: list[dict], limits: Limits | None = None,
                     test_timeout_s: float | None = None) -> CheckResult:
    return check_many(sb, [FunctionalCheck(code, fn_name, tests, limits, test_timeout_s)])[0]


def check_humaneval(
    sb: Pool, program: str, test: str, entry_point: str, limits: Limits | None = None
) -> CheckResult:
    return check_many(sb, [HumanEvalCheck(program, test, entry_point, limits)])[0]
