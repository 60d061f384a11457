"""Micro math: multi-step integer arithmetic and small linear equations, answered in ``\\boxed{}``.

The SFT references mix direct answers (``\\boxed{33}``) with worked ones (one step per line, then the box), so
an SFT model answers mostly directly and is often wrong; RL can discover that working pays and sharpen the
arithmetic inside it (see ../shared/notes/micro-rl-on-cpu.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from domains.base import Example, MicroSplits
from domains.micro_common import example, fill_splits

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


KINDS: dict[str, Callable[[random.Random, int], tuple[tuple, Problem]]] = {
    "sum": _sum, "muladd": _muladd, "linear": _linear,
}


def arithmetic_facts(seed: int, per_text: int = 6) -> list[str]:
    """The one-step facts the micro tasks are built from (sums up to 45+9, the 12x12 table, the subtractions
    and divisions of the linear equations), a few per text, for the micro base model's pretraining corpus:
    what a real base model brings to RL is knowledge, and at ~1 M parameters arithmetic has to be taught
    there or SFT spends its whole budget on it (measured: worked steps as wrong as direct answers)."""
    facts = [f"{a}+{b}={a + b}" for a in range(46) for b in range(1, 10)]
    facts += [f"{a}*{b}={a * b}" for a in range(2, 13) for b in range(2, 13)]
    facts += [f"{a * x + b}-{b}={a * x}" for a in range(2, 10) for x in range(1, 10) for b in range(1, 10)]
    facts += [f"{a * b}/{a}={b}" for a in range(2, 13) for b in range(1, 13)]
    facts = sorted(set(facts))
    random.Random(f"facts|{seed}").shuffle(facts)
    return ["\n".join(facts[i:i + per_text]) for i in range(0, len(facts), per_text)]


def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, kinds: tuple[str, ...] = ("sum", "muladd", "linear"),
          max_operand: int = 9, worked_fraction: float = 0.4) -> MicroSplits:
    """Deterministic splits from ``seed``; ``worked_fraction`` of SFT references show their steps."""
    from harness.errors import unknown

    for k in kinds:
        if k not in KINDS:
            raise unknown("micro math kind", k, list(KINDS))

    def sample(rng: random.Random) -> tuple[tuple, tuple, Example]:
        kind = kinds[rng.randrange(len(kinds))]
        key, (prompt, steps, ans) = KINDS[kind](rng, max_operand)
        worked = rng.random() < worked_fraction
        response = "\n".join([*steps, f"\\boxed{{{ans}}}"]) if worked else f"\\boxed{{{ans}}}"
        return key, key, example(prompt, str(ans), response, kind=kind, worked=worked)

    return fill_splits("math", sample, seed=seed, n_rl=n_rl, n_sft=n_sft, n_eval=n_eval)
