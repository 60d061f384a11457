"""Multiple-choice helpers shared by science and general: prompt layout, seeded shuffling, letter verdicts."""

from __future__ import annotations

import random
import re

from domains.answers import after_thinking, answer_letter, letters
from domains.base import Example, Verdict


def format_mcq(question: str, choices: list[str]) -> str:
    opts = "\n".join(f"{L}) {c}" for L, c in zip(letters(len(choices)), choices, strict=True))
    return f"{question}\n{opts}"


def shuffled(choices: list[str], correct_index: int, seed: int | str) -> tuple[list[str], str]:
    """Choices shuffled by ``seed`` and the letter of the correct one (GPQA-style per-question shuffling)."""
    order = list(range(len(choices)))
    random.Random(f"mcq|{seed}").shuffle(order)
    return [choices[i] for i in order], letters(len(choices))[order.index(correct_index)]


def regex_letter(text: str | None, pattern: str, n_choices: int = 26) -> str | None:
    """The letter of the last match of the row's own answer format (its first group), after any thinking."""
    valid = set(letters(max(0, min(n_choices, 26))))
    found = [m.group(1).upper() for m in re.finditer(pattern, after_thinking(text)) if m.groups() and m.group(1)]
    found = [x for x in found if x in valid]
    return found[-1] if found else None


def verify_mcq(example: Example, completion: str) -> Verdict:
    """Correct iff the committed letter equals ``label`` (a letter, or ``{"answer": letter, ...}``). A label with
    ``answer_regex`` (the format the prompt asked for, e.g. Nemotron's ``Final Choice: X``) is read with it only."""
    label = example["label"]
    gold = (label.get("answer") if isinstance(label, dict) else label) or ""
    n = label.get("n_choices", 26) if isinstance(label, dict) else 26
    regex = label.get("answer_regex") if isinstance(label, dict) else None
    offered = label.get("offered") if isinstance(label, dict) else None
    got = regex_letter(completion, regex, n) if regex else answer_letter(completion, n_choices=n, offered=offered)
    ok = got is not None and got == str(gold).strip().upper()
    return Verdict(float(ok), ok, {"extracted": got})
