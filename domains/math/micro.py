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


def _chain(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
    a, b, c, d = rng.randint(1, hi), rng.randint(1, hi), rng.randint(2, 9), rng.randint(1, hi)
    s, p = a + b, (a + b) * c
    return ("chain", a, b, c, d), (f"Compute ({a}+{b})*{c}-{d}.", [f"{a}+{b}={s}", f"{s}*{c}={p}", f"{p}-{d}={p - d}"], p - d)


def _product(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
    a, b, c, d = rng.randint(2, 9), rng.randint(1, hi), rng.randint(2, 9), rng.randint(1, hi)
    p, q = a * b, c * d
    return ("product", a, b, c, d), (f"Compute {a}*{b}+{c}*{d}.", [f"{a}*{b}={p}", f"{c}*{d}={q}", f"{p}+{q}={p + q}"], p + q)


def _linear(rng: random.Random, hi: int) -> tuple[tuple, Problem]:
    a, x, b = rng.randint(2, 9), rng.randint(1, hi), rng.randint(1, hi)
    c = a * x + b
    return ("linear", a, b, c), (f"Solve {a}x+{b}={c} for x.", [f"{a}x={c}-{b}={c - b}", f"x={c - b}/{a}={x}"], x)


KINDS: dict[str, Callable[[random.Random, int], tuple[tuple, Problem]]] = {
    "chain": _chain, "product": _product, "linear": _linear,
}


def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, kinds: tuple[str, ...] = ("chain", "product", "linear"),
          max_operand: int = 19, worked_fraction: float = 0.4) -> MicroSplits:
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
