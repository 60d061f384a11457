"""Math verifier: the final answer (last ``\\boxed{}`` or ``Answer:`` form) compared with math-verify.

math-verify handles fractions, decimals, LaTeX, sets and intervals. We add thousands separators (``1,000``)
and bound its cost: the extracted answer is capped (``answers.MAX_ANSWER_CHARS``) and, in the main thread,
parsing and comparison run under math-verify's own alarm-based time limits. In other threads (where alarms
are unavailable) the cap is the guard. Any failure is a wrong answer, never an exception.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from domains.answers import final_answer
from domains.base import Example, Verdict

VERSION = "1"
TIMEOUT_S = 3
_THOUSANDS = re.compile(r"^\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*$")


def _normalize(ans: str) -> str:
    ans = ans.strip().strip("$").strip()
    if _THOUSANDS.match(ans):
        ans = ans.replace(",", "")
    return ans


def _timeouts() -> int | None:
    return TIMEOUT_S if threading.current_thread() is threading.main_thread() else None


def _parse(ans: str) -> list[Any]:
    from math_verify import parse

    return parse(f"\\boxed{{{_normalize(ans)}}}", parsing_timeout=_timeouts(), raise_on_error=False)


def equivalent(gold: str, pred: str) -> bool:
    """Whether two final answers are mathematically equivalent (math-verify); False on any failure."""
    from math_verify import verify

    try:
        g, p = _parse(str(gold)), _parse(pred)
        if not g or not p:
            return _normalize(str(gold)) == _normalize(pred)
        return bool(verify(g, p, timeout_seconds=_timeouts(), raise_on_error=False))
    except Exception:  # noqa: BLE001 - a checker failure is a wrong answer, never a crash
        return False


def verify_math(example: Example, completion: str) -> Verdict:
    gold = example["label"]
    gold = gold.get("answer") if isinstance(gold, dict) else gold
    pred = final_answer(completion)
    if pred is None:
        return Verdict(0.0, False, {"extracted": None, "reason": "no final answer"})
    ok = equivalent(str(gold), pred)
    return Verdict(float(ok), ok, {"extracted": pred})
