"""Science / general verifier: multiple choice by answer letter; exact match for short-answer (HLE) items.

Label: a letter, ``{"answer": letter, "n_choices": n}``, or ``{"exact": text}`` for exact-match questions
(HLE's non-MCQ items: the official judge is an LLM; we score normalised exact match and say so).
"""

from __future__ import annotations

import re

from domains.answers import final_answer
from domains.base import Example, Verdict
from domains.mcq import verify_mcq

VERSION = "1"


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().strip("$").strip().rstrip(".")).lower()


def verify_science(example: Example, completion: str) -> Verdict:
    label = example["label"]
    if isinstance(label, dict) and "exact" in label:
        got = final_answer(completion)
        ok = got is not None and _norm(got) == _norm(str(label["exact"]))
        return Verdict(float(ok), ok, {"extracted": got})
    return verify_mcq(example, completion)
