"""Micro math: running sums of small numbers (by default), counting, modular chains or plain arithmetic, in ``\\boxed{}``.

``Add up 1, 2, 0, 2, 2.`` → worked: ``1 -> 1`` / ``2 -> 3`` / ``0 -> 3`` / ``2 -> 5`` / ``2 -> 7`` / ``\\boxed{7}``.
The SFT references work it out (one item per line with the running sum; ``worked_fraction`` < 1 mixes in direct
answers, ``\\boxed{7}``); the imperfect teacher's mistake is to stop one item early
(``domains/micro_common.py``), so what RL can improve is the procedure (adding every item), on arithmetic the
model has learnt.

Why this task, measured on the ~1 M-parameter micro model (seed 1) within the CPU budget: training on worked
running sums alone (items 0-3, sums <= 9) takes the result digits from 8% to 99.8% (teacher-forced) in 150 steps
of 32 from the base model. Every other kind stalled: a per-item property (``counteven``/``countodd``/``counteq``,
``How many of 9, 4, 6, 3 are even?`` worked as ``9: no -> 0`` ...) stayed at chance (50-52% yes/no) after the
four-domain SFT and after 150 focused steps; comparing two digits (``countgt``/``countlt``) likewise (51%); the
180 facts of mod-10 sums and products (``lastsum``/``lastprod``, ``Compute the last digit of 7+5+9+4.``) taught
in pretraining came out 27% right, so worked steps were as wrong as direct answers and GRPO gained +0.5 points.
Plain sums, products and small equations (``sum``, ``muladd``, ``linear``) fail the same way. They remain as knobs.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from domains.base import Example, MicroSplits
from domains.micro_common import TEACHER_ERROR, example, fill_splits

Problem = tuple[str, list[str], int]  # prompt, worked steps, answer


def _sum(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
    xs = [rng.randint(1, hi) for _ in range(4)]
    steps, acc = [], xs[0]
    for x in xs[1:]:
        steps.append(f"{acc}+{x}={acc + x}")
        acc += x
    return ("sum", *xs), (f"Compute {'+'.join(map(str, xs))}.", steps, acc)


def _muladd(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
    a, b, c = rng.randint(2, hi), rng.randint(2, hi), rng.randint(1, hi)
    p = a * b
    return ("muladd", a, b, c), (f"Compute {a}*{b}+{c}.", [f"{a}*{b}={p}", f"{p}+{c}={p + c}"], p + c)


def _linear(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
    a, x, b = rng.randint(2, hi), rng.randint(1, hi), rng.randint(1, hi)
    c = a * x + b
    return ("linear", a, b, c), (f"Solve {a}x+{b}={c} for x.", [f"{a}x={c}-{b}={c - b}", f"x={c - b}/{a}={x}"], x)


_MOD_STEP: dict[str, Callable[[int, int], int]] = {"+": lambda a, b: (a + b) % 10, "*": lambda a, b: (a * b) % 10}


def _last(op: str, word: str):
    def draw(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
        digits = [d for d in range(1, hi + 1) if op == "+" or d != 5]  # no 5 in products: chains would stick at 0
        xs = [rng.choice(digits) for _ in range(rng.randint(3, 5))]
        steps, acc = [], xs[0]
        for x in xs[1:]:
            nxt = _MOD_STEP[op](acc, x)
            steps.append(f"{acc}{op}{x} -> {nxt}")
            acc = nxt
        return (f"last{word}", *xs), (f"Compute the last digit of {op.join(map(str, xs))}.", steps, acc)

    return draw


# relation -> (phrase, needs a k, holds(x, k))
_COUNT: dict[str, tuple[str, bool, Callable[[int, int], bool]]] = {
    "even": ("even", False, lambda x, k: x % 2 == 0), "odd": ("odd", False, lambda x, k: x % 2 == 1),
    "eq": ("equal to", True, lambda x, k: x == k),
    "gt": ("greater than", True, lambda x, k: x > k), "lt": ("less than", True, lambda x, k: x < k),
}


def _count(rel: str):
    def draw(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
        phrase, with_k, holds = _COUNT[rel]
        k = rng.randint(1, hi - 1) if with_k else 0
        xs = [rng.randint(0, hi) for _ in range(rng.randint(4, 6))]
        if rel == "eq":  # about half the items match, so counts spread like the parity kinds'
            xs = [k if rng.random() < 0.4 else x for x in xs]
        steps, n = [], 0
        for x in xs:
            n += holds(x, k)
            steps.append(f"{x}: {'yes' if holds(x, k) else 'no'} -> {n}")
        prompt = f"How many of {', '.join(map(str, xs))} are {phrase}{f' {k}' if with_k else ''}?"
        return (f"count{rel}", k, *xs), (prompt, steps, n)

    return draw


def _addup(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
    while True:
        xs = [rng.randint(0, 3) for _ in range(rng.randint(4, 6))]
        if sum(xs) <= hi:
            break
    steps, n = [], 0
    for x in xs:
        n += x
        steps.append(f"{x} -> {n}")
    return ("addup", *xs), (f"Add up {', '.join(map(str, xs))}.", steps, n)


KINDS: dict[str, Callable[[random.Random, int], tuple[tuple, Problem]]] = {
    "addup": _addup,
    **{f"count{rel}": _count(rel) for rel in _COUNT},
    "lastsum": _last("+", "sum"), "lastprod": _last("*", "prod"), "sum": _sum, "muladd": _muladd, "linear": _linear,
}

def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, kinds: tuple[str, ...] = ("addup",),
          max_operand: int = 9, worked_fraction: float = 1.0, teacher_error: float = TEACHER_ERROR) -> MicroSplits:
    """Deterministic splits from ``seed``; ``worked_fraction`` of SFT references show their steps, and
    ``teacher_error`` of them (running sums, counting, modular chains) stop one step early where that changes
    the answer."""
    from harness.errors import unknown

    for k in kinds:
        if k not in KINDS:
            raise unknown("micro math kind", k, list(KINDS))

    def sample(rng: random.Random) -> tuple[tuple, tuple, Example]:
        kind = kinds[rng.randrange(len(kinds))]
        key, (prompt, steps, ans) = KINDS[kind](rng, max_operand)
        worked = rng.random() < worked_fraction

        def respond(steps: list[str], ans: int) -> str:
            return "\n".join([*steps, f"\\boxed{{{ans}}}"]) if worked else f"\\boxed{{{ans}}}"

        # the teacher's mistake: it stops one step early (the answer of the chain without its last operand)
        early = int(steps[-2].rsplit(" ", 1)[-1]) if len(steps) > 1 and " -> " in steps[-2] else None
        mistake = respond(steps[:-1], early) if early is not None and early != ans else None
        return key, key, example(prompt, str(ans), respond(steps, ans), kind=kind, worked=worked, mistake=mistake)

    return fill_splits("math", sample, seed=seed, n_rl=n_rl, n_sft=n_sft, n_eval=n_eval, teacher_error=teacher_error)
