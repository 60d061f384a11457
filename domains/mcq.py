"""Multiple-choice helpers shared by science and general: prompt layout, seeded shuffling, letter verdicts."""

from __future__ import annotations

import random

from domains.answers import answer_letter, letters
from domains.base import Example, Verdict


def format_mcq(question: str, choices: list[str]) -> str:
    opts = "\n".join(f"{L}) {c}" for L, c in zip(letters(len(choices)), choices, strict=True))
    return f"{question}\n{opts}"


def shuffled(choices: list[str], correct_index: int, seed: int | str) -> tuple[list[str], str]:
    """Choices shuffled by ``seed`` and the letter of the correct one (GPQA-style per-question shuffling)."""
    order = list(range(len(choices)))
    random.Random(f"mcq|{seed}").shuffle(order)
    return [choices[i] for i in order], letters(len(choices))[order.index(correct_index)]


def verify_mcq(example: Example, completion: str) -> Verdict:
    """Correct iff the committed letter equals ``label`` (a letter, or ``{"answer": letter, ...}``)."""
    label = example["label"]
    gold = (label.get("answer") if isinstance(label, dict) else label) or ""
    n = label.get("n_choices", 26) if isinstance(label, dict) else 26
    offered = label.get("offered") if isinstance(label, dict) else None
    got = answer_letter(completion, n_choices=n, offered=offered)
    ok = got is not None and got == str(gold).strip().upper()
    return Verdict(float(ok), ok, {"extracted": got})
