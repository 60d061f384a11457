"""Micro general knowledge: MMLU-like multiple choice over a generated world of facts plus word categories.

The world (fictional countries with a capital, a river, a national animal and a flag colour) is fixed by
``world_seed``, not by the split seed, so every split and the pretraining corpus (``world_texts``) describe
the same world. Questions are split by the fact they ask about, so eval facts are never seen in SFT/RL
questions: a model can answer them only from what pretraining taught it, as MMLU probes general knowledge.
"""

from __future__ import annotations

import random
from functools import lru_cache

from domains.base import Example, MicroSplits
from domains.mcq import format_mcq, shuffled
from domains.micro_common import example, fill_splits

_SYL = ("ka", "lo", "mi", "ru", "te", "va", "zo", "ne", "pa", "si", "to", "be", "da", "fu", "gi", "ho")
ANIMALS = ("fox", "owl", "bear", "wolf", "hawk", "deer", "seal", "crab", "lynx", "crow", "frog", "hare")
COLOURS = ("red", "blue", "green", "white", "black", "gold", "gray", "pink")
CATEGORIES: dict[str, tuple[str, ...]] = {
    "fruit": ("apple", "pear", "plum", "grape", "lemon", "mango", "peach", "cherry", "melon", "lime"),
    "tool": ("hammer", "saw", "drill", "wrench", "chisel", "shovel", "rake", "axe", "file", "pliers"),
    "metal": ("iron", "copper", "silver", "zinc", "lead", "tin", "nickel", "gold", "cobalt", "chrome"),
    "planet": ("mercury", "venus", "earth", "mars", "jupiter", "saturn", "uranus", "neptune"),
    "organ": ("heart", "lung", "liver", "kidney", "brain", "stomach", "spleen", "skin"),
    "sport": ("tennis", "soccer", "rugby", "golf", "hockey", "boxing", "rowing", "judo", "chess"),
}
ATTRIBUTES = ("capital", "river", "animal", "colour")


@lru_cache(maxsize=4)
def world(world_seed: int = 1234, n_countries: int = 120) -> dict[str, dict[str, str]]:
    """country -> {capital, river, animal, colour}; names are unique pronounceable words."""
    rng = random.Random(f"world|{world_seed}")
    used: set[str] = set()

    def word(n: int) -> str:
        while True:
            w = "".join(rng.choice(_SYL) for _ in range(n))
            if w not in used:
                used.add(w)
                return w

    return {
        word(3).capitalize(): {"capital": word(2).capitalize(), "river": word(2).capitalize(),
                               "animal": rng.choice(ANIMALS), "colour": rng.choice(COLOURS)}
        for _ in range(n_countries)
    }


_QUESTION = {
    "capital": ("What is the capital of {c}?", "The capital of {c} is {v}."),
    "river": ("Which river flows through {c}?", "The river {v} flows through {c}."),
    "animal": ("What is the national animal of {c}?", "The national animal of {c} is the {v}."),
    "colour": ("What colour is the flag of {c}?", "The flag of {c} is {v}."),
}


def world_texts(world_seed: int = 1234, n_countries: int = 120) -> list[str]:
    """Every fact of the world and every category membership as a sentence (for pretraining)."""
    out = [_QUESTION[a][1].format(c=c, v=f[a]) for c, f in world(world_seed, n_countries).items() for a in ATTRIBUTES]
    out += [f"A {item} is a {cat}." for cat, items in CATEGORIES.items() for item in items]
    return out


def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, world_seed: int = 1234, n_countries: int = 120,
          category_share: float = 0.3, worked_fraction: float = 0.4) -> MicroSplits:
    """Deterministic splits from ``seed``; the same fact may recur within a split with other distractors."""
    facts = world(world_seed, n_countries)
    countries = sorted(facts)
    cats = sorted(CATEGORIES)

    def sample(rng: random.Random) -> tuple[tuple, tuple, Example]:
        if rng.random() < category_share:
            cat = rng.choice(cats)
            item = rng.choice(CATEGORIES[cat])
            others = [rng.choice(CATEGORIES[o]) for o in rng.sample([c for c in cats if c != cat], 3)]
            question, key, fact = f"Which of these is a {cat}?", ("category", item), f"A {item} is a {cat}."
            right = item
        else:
            c, attr = rng.choice(countries), rng.choice(ATTRIBUTES)
            right = facts[c][attr]
            pool = sorted({facts[o][attr] for o in countries} - {right})
            others = rng.sample(pool, 3)
            question, key = _QUESTION[attr][0].format(c=c), ("fact", c, attr)
            fact = _QUESTION[attr][1].format(c=c, v=right)
        choices, letter = shuffled([right, *others], 0, f"{seed}|{rng.random()}")
        worked = rng.random() < worked_fraction
        response = f"{fact}\nAnswer: {letter}" if worked else f"Answer: {letter}"
        ex = example(format_mcq(question, choices), {"answer": letter, "n_choices": 4}, response, worked=worked)
        return key, (key, tuple(choices)), ex

    return fill_splits("general", sample, seed=seed, n_rl=n_rl, n_sft=n_sft, n_eval=n_eval)
