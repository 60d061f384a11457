"""Math verifier: the final answer (last ``\\boxed{}`` or ``Answer:`` form) compared with math-verify.

math-verify handles fractions, decimals, LaTeX, sets and intervals; we add thousands separators (``1,000``).
Cost is bounded: the extracted answer is capped (``answers.MAX_ANSWER_CHARS``), plain numbers are compared
directly, and everything else goes to math-verify in a separate worker process that is killed when one
comparison exceeds ``TIMEOUT_S``. (math-verify's own alarm-based limit cannot interrupt a long C-level
operation such as ``9^{9^{9^{9}}}``, and does nothing outside the main thread, where reward functions often
run.) Any failure is a wrong answer, never an exception.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import select
import subprocess
import sys
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path

from domains.answers import final_answer
from domains.base import Example, Verdict

VERSION = "3"  # 3: an Answer: line is not overridden by a later sentence with the word "answer"
TIMEOUT_S = 5.0
STARTUP_S = 60.0
log = logging.getLogger(__name__)
_THOUSANDS = re.compile(r"^\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*$")
_PLAIN_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?$")


def _normalize(ans: str) -> str:
    ans = ans.strip().strip("$").strip()
    if _THOUSANDS.match(ans):
        ans = ans.replace(",", "")
    return ans


def math_verify_equal(gold: str, pred: str) -> bool:
    """math-verify on two normalised answers, in this process, without time limits (the worker's job)."""
    from math_verify import parse, verify

    try:
        g = parse(f"\\boxed{{{gold}}}", parsing_timeout=None, raise_on_error=False)
        p = parse(f"\\boxed{{{pred}}}", parsing_timeout=None, raise_on_error=False)
        if not g or not p:
            return False
        return bool(verify(g, p, timeout_seconds=None, raise_on_error=False))
    except Exception:  # noqa: BLE001 - a checker failure is a wrong answer
        return False


class _Worker:
    """One math-verify subprocess shared by all threads (comparisons are CPU-bound: serialising costs nothing).
    A plain subprocess (not multiprocessing) so it works whatever the parent's ``__main__`` is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None

    def _start(self) -> None:
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        proc = subprocess.Popen([sys.executable, "-m", "domains.math.worker"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1, env=env)
        self._proc = proc
        if self._readline(STARTUP_S) != "ready":
            self.stop()
            raise RuntimeError("math-verify worker did not start")

    def _readline(self, timeout_s: float) -> str | None:
        assert self._proc is not None and self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], timeout_s)
        if not ready:
            return None
        line = self._proc.stdout.readline()
        return line.strip() if line else None

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(5)
            for f in (self._proc.stdin, self._proc.stdout):
                if f:
                    f.close()
            self._proc = None

    def compare(self, gold: str, pred: str, timeout_s: float) -> bool:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            assert self._proc is not None and self._proc.stdin is not None
            self._proc.stdin.write(json.dumps([gold, pred]) + "\n")
            self._proc.stdin.flush()
            reply = self._readline(timeout_s)
            if reply in ("0", "1"):
                return reply == "1"
            log.warning("math-verify gave no verdict within %.0fs on %r vs %r: counted as wrong", timeout_s,
                        gold[:60], pred[:60])
            self.stop()
            return False


_WORKER = _Worker()
atexit.register(_WORKER.stop)


def equivalent(gold: str, pred: str, timeout_s: float = TIMEOUT_S) -> bool:
    """Whether two final answers are mathematically equivalent; False on any failure or timeout."""
    g, p = _normalize(str(gold)), _normalize(str(pred))
    if g == p:
        return True
    if _PLAIN_NUMBER.match(g) and _PLAIN_NUMBER.match(p):
        try:
            return Decimal(g) == Decimal(p)
        except InvalidOperation:
            return False
    try:
        return _WORKER.compare(g, p, timeout_s)
    except Exception as e:  # noqa: BLE001 - worker failure = wrong answer, logged
        log.warning("math-verify worker failed (%s): counted as wrong", e)
        return False


def verify_math(example: Example, completion: str) -> Verdict:
    gold = example["label"]
    gold = gold.get("answer") if isinstance(gold, dict) else gold
    pred = final_answer(completion)
    if pred is None:
        return Verdict(0.0, False, {"extracted": None, "reason": "no final answer"})
    ok = equivalent(str(gold), pred)
    return Verdict(float(ok), ok, {"extracted": pred})
