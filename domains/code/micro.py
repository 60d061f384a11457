"""Micro code: tiny list-processing Python functions written from a one-line spec, checked by running tests.

``Write f(xs): keep the items greater than 3, multiply them by 2, return the sum.`` The reward is 1 iff the
function passes every test in the sandbox, so the skill is turning a spec into running code. SFT references
mix a direct one-liner with a worked version (one spec clause per line), which is easier to get right.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

from domains.base import Example, MicroSplits
from domains.micro_common import TEACHER_ERROR, example, fill_splits

FENCE = "```"

# name -> (spec phrase, python predicate/expression over x, reference function)
Filter = tuple[str, str, Callable[[int], bool]]
Map = tuple[str, str, Callable[[int], int]]


def _filter(rng: random.Random) -> Filter:
    kind = rng.choice(("gt", "lt", "ge", "le", "even", "odd"))
    k = rng.randint(1, 8)  # every filter keeps some digit 0..9
    return {
        "gt": (f"greater than {k}", f"x > {k}", lambda x: x > k),
        "lt": (f"less than {k}", f"x < {k}", lambda x: x < k),
        "ge": (f"at least {k}", f"x >= {k}", lambda x: x >= k),
        "le": (f"at most {k}", f"x <= {k}", lambda x: x <= k),
        "even": ("that are even", "x % 2 == 0", lambda x: x % 2 == 0),
        "odd": ("that are odd", "x % 2 == 1", lambda x: x % 2 == 1),
    }[kind]


def _map(rng: random.Random) -> Map:
    kind = rng.choice(("mul", "add", "sub"))
    k = rng.randint(2, 9)
    return {
        "mul": (f"multiply them by {k}", f"x * {k}", lambda x: x * k),
        "add": (f"add {k} to them", f"x + {k}", lambda x: x + k),
        "sub": (f"subtract {k} from them", f"x - {k}", lambda x: x - k),
    }[kind]


# the teacher's mistake: an off-by-one boundary, or the parity flipped
OFF_BY_ONE: dict[str, str] = {" > ": " >= ", " < ": " <= ", " >= ": " > ", " <= ": " < ",
                              " == 0": " == 1", " == 1": " == 0"}


def _off_by_one(predicate: str) -> str:
    for right, wrong in OFF_BY_ONE.items():
        if right in predicate:
            return predicate.replace(right, wrong)
    raise ValueError(f"no mistake for the filter {predicate!r}")


REDUCES: dict[str, tuple[str, str, Callable[[list[int]], object]]] = {
    "sum": ("return the sum", "sum({})", sum),
    "list": ("return the list", "{}", list),
    "max": ("return the largest", "max({})", max),
    "min": ("return the smallest", "min({})", min),
    "count": ("return how many", "len({})", len),
}


def _program(filt: Filter, maps: list[Map], reduce: str, worked: bool) -> str:
    wrap = REDUCES[reduce][1]
    if worked:
        lines = [f"    ys = [x for x in xs if {filt[1]}]"]
        lines += [f"    ys = [{m[1]} for x in ys]" for m in maps]
        lines.append(f"    return {wrap.format('ys')}")
    else:
        expr = "x"
        for m in maps:
            expr = m[1].replace("x", f"({expr})", 1) if expr != "x" else m[1]
        comp = f"[{expr} for x in xs if {filt[1]}]"
        lines = [f"    return {wrap.format(comp)}"]
    return "\n".join(["def f(xs):", *lines])


def micro(seed: int, n_rl: int, n_sft: int, n_eval: int, *, max_maps: int = 2, n_tests: int = 4,
          list_len: tuple[int, int] = (3, 6), worked_fraction: float = 0.4, sft_max_maps: int = 2,
          teacher_error: float = TEACHER_ERROR) -> MicroSplits:
    """Deterministic splits from ``seed``; each problem carries ``n_tests`` functional tests of ``f``.

    SFT references use at most ``sft_max_maps`` map clauses while RL and eval problems use up to ``max_maps``.
    A micro model copies one spec clause per code construct after SFT (measured: with a right teacher and every
    composition in SFT, SFT scored 1.0), so the room RL has is the teacher's mistakes: ``teacher_error`` of the SFT
    references get the filter's boundary wrong (``>`` for ``>=``) or flip its parity. Leaving compositions out of
    SFT (``sft_max_maps=1``) gave no room: the 2-map problems stayed at 0% after SFT and after GRPO (seed 1)."""

    def sample(rng: random.Random) -> tuple[tuple, tuple, Example]:
        filt = _filter(rng)
        reduce = rng.choice(tuple(REDUCES))
        maps = [] if reduce == "count" else [_map(rng) for _ in range(rng.randint(0, max_maps))]
        clauses = [f"keep the items {filt[0]}", *[m[0] for m in maps], REDUCES[reduce][0]]
        prompt = f"Write f(xs): {', '.join(clauses)}."
        tests = []
        boundary = None if "%" in filt[1] else int(filt[1].split()[-1])
        for _ in range(100 * n_tests):
            if len(tests) == n_tests:
                break
            xs = [rng.randint(0, 9) for _ in range(rng.randint(*list_len))]
            if boundary is not None and not tests:  # the first test holds the boundary value: off-by-one fails
                xs[rng.randrange(len(xs))] = boundary
            ys = [x for x in xs if filt[2](x)]
            if not ys:  # keep every test meaningful (and max() defined)
                continue
            for m in maps:
                ys = [m[2](y) for y in ys]
            tests.append({"input": json.dumps(xs), "output": json.dumps(REDUCES[reduce][2](ys))})
        worked = rng.random() < worked_fraction
        response = f"{FENCE}python\n{_program(filt, maps, reduce, worked)}\n{FENCE}"
        mistake = response.replace(f"if {filt[1]}", f"if {_off_by_one(filt[1])}")
        label = {"format": "functional", "fn_name": "f", "tests": tests}
        key = (prompt,)
        return key, key, example(prompt, label, response, worked=worked, n_maps=len(maps), reduce=reduce,
                                 mistake=mistake)

    def accept(split: str, ex: Example) -> bool:
        return split != "sft" or ex["meta"]["n_maps"] <= sft_max_maps

    return fill_splits("code", sample, seed=seed, n_rl=n_rl, n_sft=n_sft, n_eval=n_eval, accept=accept,
                       teacher_error=teacher_error)
