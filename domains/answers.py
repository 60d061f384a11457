"""Answer extraction shared by the verifiers: thinking removal, last ``\\boxed{}``, ``Answer:`` lines, letters.

Every function here is total: it accepts any string (or None) and returns a value or None, never raises.

Rules and where they come from:
- ``Answer: X`` (also ``Final Answer:``, HLE's ``Exact Answer:``, ``**Answer:**``) is the committed answer; only
  when a completion has no such line does a ``the (final) answer is X`` sentence count. A later sentence that
  merely contains the word (``This answer is consistent…``) never overrides it. simple-evals reads
  ``Answer\\s*:\\s*([^\\n]+)`` (openai/simple-evals ``common.py:27``); HLE asks for ``Exact Answer: …`` /
  ``Answer: …`` lines (centerforaisafety/hle ``hle_eval/run_model_predictions.py``, SYSTEM_EXACT_ANSWER/SYSTEM_MC).
- Letters: simple-evals' ``(?i)Answer[ \\t]*:[ \\t]*\\$?([A-D])\\$?`` (``common.py:26``) over the letters the
  question offers, so ``Answer: $B$`` and ``Answer: b`` read B. Two deliberate differences, both stricter about
  what a letter is: a letter followed by another letter is a word (``Answer: Because…`` is not B), and within
  the ``Answer:`` value the first offered capital standing alone counts (``Answer: I think it is B`` reads B when
  I is not offered). We take the last ``Answer:`` line where simple-evals' ``re.search`` takes the first: the
  prompt asks for it on the last line, and drafts come earlier.
"""

from __future__ import annotations

import re

THINK_CLOSE = "</think>"
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
# "Answer: X", "Final Answer: X", "Exact Answer: X", "**Answer:** X", "**Answer**: X"
_ANSWER_RE = re.compile(r"\banswer\**\s*[:：]\s*(.+)", re.IGNORECASE)
# a sentence form, used only when no "Answer:" line exists
_ANSWER_IS_RE = re.compile(r"\bthe\s+(?:final\s+)?answer\s+is\s*[:：]?\s*(.+)", re.IGNORECASE)
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


def _clean(value: str) -> str:
    return value.strip().strip("*").strip().rstrip(".").strip()


def _answer_lines(text: str) -> list[tuple[int, str]]:
    """``(offset, value)`` of every ``Answer:`` line; without any, of every ``the answer is`` sentence."""
    for pat in (_ANSWER_RE, _ANSWER_IS_RE):
        found, offset = [], 0
        for line in text.splitlines(keepends=True):
            m = pat.search(line)
            if m and _clean(m.group(1)):
                found.append((offset + m.start(), _clean(m.group(1))))
            offset += len(line)
        if found:
            return found
    return []


def answer_line(text: str | None) -> str | None:
    """The value of the last ``Answer: X`` line (else of the last ``The answer is X`` sentence)."""
    found = _answer_lines(text or "")
    return found[-1][1] if found else None


def final_answer(text: str | None) -> str | None:
    """Last ``\\boxed{}`` after the thinking, else the last ``Answer:`` form; capped at MAX_ANSWER_CHARS."""
    body = after_thinking(text)
    ans = last_boxed(body)
    if ans is None:
        ans = answer_line(body)
    if ans is None or len(ans) > MAX_ANSWER_CHARS:
        return None
    return ans


def letters(n: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(n)]


def _letter_of_value(value: str, valid: set[str]) -> str | None:
    """The letter an ``Answer:`` value commits to: a leading letter (``$B$``, ``(b)``, ``**C**``,
    ``\\boxed{D}``, ``\\text{A}``) that is not the start of a word, else the first offered capital standing alone."""
    m = re.match(r"[\s*$(\[]*(?:\\(?:boxed|text|textbf|mathrm)\s*\{\s*)?\(?([A-Za-z])(?![A-Za-z])", value)
    if m and m.group(1).upper() in valid:
        return m.group(1).upper()
    for m in re.finditer(r"(?<![A-Za-z])([A-Z])(?![A-Za-z'’])", value):
        if m.group(1) in valid:
            return m.group(1)
    return None


_BOXED_LETTER = re.compile(r"\\boxed\{\s*(?:\\text\{)?\s*\(?([A-Z])\)?\s*\}?\s*\}")


def answer_letter(text: str | None, n_choices: int = 26, offered: str | None = None) -> str | None:
    """The multiple-choice letter a completion commits to, among ``offered`` (default: the first ``n_choices``
    letters): the last ``Answer:`` line or ``\\boxed{X}``, else a completion that is just a letter (``C``,
    ``(C)``, ``C)``)."""
    body = after_thinking(text)
    valid = set(offered) if offered else set(letters(max(0, min(n_choices, 26))))
    best: tuple[int, str] | None = None
    for pos, value in _answer_lines(body):
        got = _letter_of_value(value, valid)
        if got:
            best = (pos, got)
    for m in _BOXED_LETTER.finditer(body):
        if m.group(1) in valid and (best is None or m.start() >= best[0]):
            best = (m.start(), m.group(1))
    if best:
        return best[1]
    m = re.fullmatch(r"\s*\(?\**([A-Za-z])\**\)?[.)]?\s*", body)
    if m and m.group(1).upper() in valid:
        return m.group(1).upper()
    return None
