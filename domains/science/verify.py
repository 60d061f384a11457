"""Science / general verifier: multiple choice by answer letter; exact match for short-answer (HLE) items.

Label: a letter, ``{"answer": letter, "n_choices": n[, "offered": "ABCDE"]}``, or ``{"exact": text}`` for HLE's
exact-match questions. Exact match reads the ``Exact Answer:`` line HLE's prompt asks for (else the last
``Answer:`` line, else the last ``\\boxed{}``); when both sides are math (no word of two or more letters outside
LaTeX commands) they are compared by math-verify (``domains.math.verify.equivalent``: ``1/2`` = ``\\frac{1}{2}``),
otherwise as normalised text (case, spaces, surrounding ``$``, a final full stop). HLE's official grader is an
LLM judge; this is a judge-free lower bound.
"""

from __future__ import annotations

import re

from domains.answers import after_thinking, answer_line, final_answer
from domains.base import Example, Verdict
from domains.mcq import verify_mcq

VERSION = "2"  # 2: letters over the offered ones (simple-evals pattern), HLE math-verify exact match
_LATEX_CMD = re.compile(r"\\[A-Za-z]+")
_WORD = re.compile(r"[A-Za-z]{2,}")


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().strip("$").strip().rstrip(".")).lower()


def is_math(s: str) -> bool:
    """Math-like: has a digit, a LaTeX command or an operator, and no word of 2+ letters outside LaTeX commands."""
    bare = _LATEX_CMD.sub(" ", s)
    return not _WORD.search(bare) and bool(re.search(r"[\d\\^_=+\-*/]", s))


def hle_answer(completion: str | None) -> str | None:
    """The answer an HLE response gives: its last ``Exact Answer:`` / ``Answer:`` line, else ``\\boxed{}``."""
    return answer_line(after_thinking(completion)) or final_answer(completion)


def exact_match(gold: str, got: str | None) -> tuple[bool, str]:
    if got is None:
        return False, "no answer"
    if _norm(got) == _norm(gold):
        return True, "text"
    if is_math(gold) and is_math(got):
        from domains.math.verify import equivalent

        return equivalent(gold, got), "math-verify"
    return False, "text"


def verify_science(example: Example, completion: str) -> Verdict:
    label = example["label"]
    if isinstance(label, dict) and "exact" in label:
        got = hle_answer(completion)
        ok, how = exact_match(str(label["exact"]), got)
        return Verdict(float(ok), ok, {"extracted": got, "compared_by": how})
    return verify_mcq(example, completion)
