"""Micro instruction following: short texts under verifiable IFEval constraints, scored by IFEval's checkers.

``Write two sentences about rain. Use only lowercase letters. End with the phrase "That is all."`` The label
holds ``instruction_id_list`` + ``kwargs`` in IFEval's format, so the published checkers score micro answers
exactly as they score IFEval. Worked SFT references first list the constraints in a ``<think>`` block (the
checkers see only the text after ``</think>``); direct ones answer straight away.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from domains.base import Example, MicroSplits
from domains.micro_common import TEACHER_ERROR, example, fill_splits

TOPICS = ("rain", "cats", "bread", "music", "trees", "the sea", "winter", "coffee", "birds", "books", "snow",
          "rivers", "the moon", "gardens", "trains", "bees", "apples", "clouds", "dogs", "summer", "tea", "stars",
          "boats", "flowers", "mountains", "wind", "fish", "bikes", "maps", "candles")
ADJ = ("calm", "warm", "bright", "soft", "old", "quiet", "small", "fresh", "cold", "kind", "slow", "clear")
VERBS = ("see", "enjoy", "notice", "watch", "love", "miss")
TIMES = ("morning", "evening", "summer", "winter", "spring", "night")
KEYWORDS = ("simple", "gentle", "golden", "silver", "early", "lucky", "happy", "humble", "steady", "wild")
END_PHRASES = ("That is all.", "Thank you.", "See you soon.", "The end.", "Any questions?")
NUMBERS = ("one", "two", "three")

Transform = Callable[[str], str]
# name -> draw(rng, base_word_count) -> (instruction_id, kwargs, prompt text, short note, transform, stage)
# stage orders the transforms: 0 content, 1 added text (title, end phrase), 2 case, 3 wrapping


def _lower(rng, n):
    return "change_case:english_lowercase", {}, "Use only lowercase letters.", "lowercase", str.lower, 2


def _upper(rng, n):
    return "change_case:english_capital", {}, "Use only capital letters.", "capitals", str.upper, 2


def _no_comma(rng, n):
    return "punctuation:no_comma", {}, "Do not use commas.", "no commas", lambda s: s.replace(",", ""), 0


def _keyword(rng, n):
    w = rng.choice(KEYWORDS)
    return ("keywords:existence", {"keywords": [w]}, f"Include the word {w}.", f"use {w}",
            lambda s: f"{s} It is {w}.", 0)


def _end(rng, n):
    p = rng.choice(END_PHRASES)
    return ("startend:end_checker", {"end_phrase": p}, f'End with the phrase "{p}"', f"end: {p}",
            lambda s: f"{s} {p}", 1)


def _quote(rng, n):
    return "startend:quotation", {}, "Wrap your answer in double quotes.", "quotes", lambda s: f'"{s}"', 3


def _words(rng, n):
    limit = n + 6 + rng.randint(1, 4)  # room for the words other constraints add
    return ("length_constraints:number_words", {"relation": "less than", "num_words": limit},
            f"Use fewer than {limit} words.", f"under {limit} words", lambda s: s, 0)


def _title(rng, n):
    return ("detectable_format:title", {}, "Give it a title in double angular brackets, like <<title>>.", "title",
            None, 1)


CONSTRAINTS: dict[str, Callable[[random.Random, int], tuple]] = {
    "lowercase": _lower, "capital": _upper, "no_comma": _no_comma, "keyword": _keyword, "end": _end,
    "quotation": _quote, "words": _words, "title": _title,
}
# "capital" is opt-in: IFEval's checker runs langdetect, which calls short all-caps English text Vietnamese
DEFAULT_CONSTRAINTS = tuple(c for c in CONSTRAINTS if c != "capital")
CONFLICTS = ({"lowercase", "capital"}, {"quotation", "title"})


def _sentences(rng: random.Random, topic: str, k: int) -> str:
    out = [f"{topic.capitalize()} can be {rng.choice(ADJ)}, and they feel {rng.choice(ADJ)}.",
           f"I {rng.choice(VERBS)} {topic} in the {rng.choice(TIMES)}.",
           f"Many people think {topic} are {rng.choice(ADJ)}."]
    return " ".join(out[:k])


def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, max_constraints: int = 3, max_sentences: int = 2,
          constraints: tuple[str, ...] = DEFAULT_CONSTRAINTS, worked_fraction: float = 0.4,
          teacher_error: float = TEACHER_ERROR) -> MicroSplits:
    """Deterministic splits from ``seed``; 1..``max_constraints`` (drawn from ``constraints``) compatible constraints per prompt, answers of
    1..``max_sentences`` (at most 3) sentences. ``teacher_error`` of the SFT references forget the last
    constraint of the prompt that changes the text (a word limit the text already meets does not count)."""

    def sample(rng: random.Random) -> tuple[tuple, tuple, Example]:
        topic, k = rng.choice(TOPICS), rng.randint(1, max(1, min(3, max_sentences)))
        base = _sentences(rng, topic, k)
        names: list[str] = []
        target = rng.randint(1, max_constraints)
        for name in rng.sample(constraints, len(constraints)):
            clash = any(name in group and group & set(names) for group in CONFLICTS)
            if len(names) < target and not clash:
                names.append(name)
        drawn = [CONSTRAINTS[n](rng, len(base.split())) for n in names]

        def respond(followed: list[tuple]) -> str:
            text = base
            for iid, _kw, _, _, fn, _stage in sorted(followed, key=lambda d: d[5]):
                if iid == "detectable_format:title":
                    text = f"<<{topic}>>\n{text}"
                else:
                    text = fn(text)
            return f"<think>{'; '.join(d[3] for d in followed)}</think>\n{text}" if worked else text

        prompt = " ".join([f"Write {NUMBERS[k - 1]} sentence{'s' if k > 1 else ''} about {topic}.",
                           *[d[2] for d in drawn]])
        label: dict[str, Any] = {"instruction_id_list": [d[0] for d in drawn], "kwargs": [d[1] for d in drawn],
                                 "prompt": prompt, "registry": "ifeval"}
        worked = rng.random() < worked_fraction
        forgettable = [i for i, d in enumerate(drawn) if d[0] != "length_constraints:number_words"]
        mistake = respond([d for i, d in enumerate(drawn) if i != forgettable[-1]]) if forgettable else None
        key = (topic, k, tuple(sorted((d[0], repr(sorted(d[1].items()))) for d in drawn)))
        return key, key, example(prompt, label, respond(drawn), worked=worked, constraints=names, mistake=mistake)

    return fill_splits("if", sample, seed=seed, n_rl=n_rl, n_sft=n_sft, n_eval=n_eval, teacher_error=teacher_error)
