"""Micro math: chains of modular arithmetic (by default), or plain multi-step arithmetic, in ``\\boxed{}``.

``Compute the last digit of 7+5+9+4.`` → worked: ``7+5 -> 2`` / ``2+9 -> 1`` / ``1+4 -> 5`` / ``\\boxed{5}``. The
SFT references mix direct answers (``\\boxed{5}``) with worked ones (one step per line, then the box). Each worked
step is one of 81 facts of a table, while the direct answer needs the whole chain at once, so working pays; an
SFT model answers mostly directly and is often wrong, and RL can discover that working pays and sharpen the
steps (the mechanism of ../shared/notes/micro-rl-on-cpu.md; the classic chain-of-thought case of modular sums).

Why modular by default: with plain sums, products and small equations (the kinds ``sum``, ``muladd``,
``linear``, still available) the ~1 M-parameter model did not learn the one-step facts within the CPU budget
(``2*9=23``, ``36+4=33``), so worked answers were no more accurate than direct ones and GRPO gained nothing on
math (measured: -0.015 [-0.062, +0.035] Avg@4 vs SFT, 200 problems).
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


KINDS: dict[str, Callable[[random.Random, int], tuple[tuple, Problem]]] = {
    "lastsum": _last("+", "sum"), "lastprod": _last("*", "prod"), "sum": _sum, "muladd": _muladd, "linear": _linear,
}
MOD_FACTS = [f"{a}{op}{b} -> {step(a, b)}" for op, step in _MOD_STEP.items() for a in range(10) for b in range(1, 10)]


def arithmetic_facts(seed: int, per_text: int = 6) -> list[str]:
    """The one-step facts the micro tasks are built from — the modular steps of math (twice: they are the
    math domain's whole knowledge) and the products and quotients of science — a few per text, for the micro
    base model's pretraining corpus: what a real base model brings to RL is knowledge, and at ~1 M parameters
    arithmetic has to be taught there or SFT spends its whole budget on it (measured: with only the facts of
    the SFT references, worked steps were as wrong as direct answers)."""
    facts = [*MOD_FACTS, *MOD_FACTS]
    facts += [f"{a}*{b}={a * b}" for a in range(2, 13) for b in range(2, 10)]
    facts += [f"{a * b}/{b}={a}" for a in range(2, 13) for b in range(2, 10)]
    random.Random(f"facts|{seed}").shuffle(facts)
    return ["\n".join(facts[i:i + per_text]) for i in range(0, len(facts), per_text)]


def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, kinds: tuple[str, ...] = ("lastsum", "lastprod"),
          max_operand: int = 9, worked_fraction: float = 0.4, teacher_error: float = TEACHER_ERROR) -> MicroSplits:
    """Deterministic splits from ``seed``; ``worked_fraction`` of SFT references show their steps, and
    ``teacher_error`` of them (modular chains) stop one step early, the teacher's typical mistake."""
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
