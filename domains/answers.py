"""Answer extraction shared by the verifiers: thinking removal, last ``\\boxed{}``, ``Answer:`` lines, letters.

Every function here is total: it accepts any string (or None) and returns a value or None, never raises.
"""

from __future__ import annotations

import re

THINK_CLOSE = "</think>"
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ANSWER_RE = re.compile(r"(?:final answer|answer)\s*(?:is)?\s*[:：]?\s*(.+)", re.IGNORECASE)
MAX_ANSWER_CHARS = 400


def after_thinking(text: str | None) -> str:
    """The part of a completion after the last ``</think>`` (all of it when there is none)."""
    text = text or ""
    return text.rsplit(THINK_CLOSE, 1)[-1] if THINK_CLOSE in text else text


def last_boxed(text: str | None) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox{...}``) with balanced braces; None if absent/unclosed."""
    text = text or ""
    matches = list(_BOXED_RE.finditer(text))
    for m in reversed(matches):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        if depth == 0:
            return text[m.end(): i - 1].strip()
    return None


def answer_line(text: str | None) -> str | None:
    """The value of the last ``Answer: X`` / ``The answer is X`` / ``Final answer: X`` form."""
    found = None
    for line in (text or "").splitlines():
        m = _ANSWER_RE.search(line)
        if m:
            found = m.group(1).strip().rstrip(".").strip()
    return found or None


def final_answer(text: str | None) -> str | None:
    """Last ``\\boxed{}`` after the thinking, else the last ``Answer:`` form; capped at MAX_ANSWER_CHARS."""
    body = after_thinking(text)
    ans = last_boxed(body)
    if ans is None:
        ans = answer_line(body)
    if ans is None or len(ans) > MAX_ANSWER_CHARS:
        return None
    return ans


_LETTER_PATTERNS = (
    re.compile(r"(?i:answer)\s*(?i:is)?\s*[:：]?\s*\(?\**\s*([A-Z])\b\)?"),
    re.compile(r"\\boxed\{\s*(?:\\text\{)?\s*\(?([A-Z])\)?\s*\}?\s*\}"),
)


def answer_letter(text: str | None, n_choices: int = 26) -> str | None:
    """The multiple-choice letter a completion commits to: the last ``Answer: X`` or ``\\boxed{X}``, else a
    completion that is just a letter (``C``, ``(C)``, ``C)``). Letters beyond ``n_choices`` do not count."""
    body = after_thinking(text)
    valid = {chr(ord("A") + i) for i in range(max(0, min(n_choices, 26)))}
    best: tuple[int, str] | None = None
    for pat in _LETTER_PATTERNS:
        for m in pat.finditer(body):
            letter = m.group(1).upper()
            if letter in valid and (best is None or m.start() >= best[0]):
                best = (m.start(), letter)
    if best:
        return best[1]
    m = re.fullmatch(r"\s*\(?\**([A-Za-z])\**\)?[.)]?\s*", body)
    if m and m.group(1).upper() in valid:
        return m.group(1).upper()
    return None


def letters(n: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(n)]
