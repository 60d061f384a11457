"""The project's generated eval suites: the eval split of ``micro(seed=0, ...)`` of each domain, fixed sizes."""

from __future__ import annotations

from collections.abc import Callable

from domains.base import Example, GenerationSettings, MicroSplits, Suite
from harness.errors import UserError

MICRO_SEED = 0
MICRO_GENERATION = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=96)
MICRO_K = 8


def micro_suite(domain: str, micro: Callable[..., MicroSplits], n_eval: int, description: str) -> Suite:
    def load(path: str | None) -> list[Example]:
        if path is not None:
            from domains.loaders import read_jsonl

            return read_jsonl(path)
        return micro(MICRO_SEED, 0, 0, n_eval).eval

    if n_eval <= 0:
        raise UserError(f"micro suite for {domain}: n_eval must be positive")
    return Suite(name=f"micro-{domain}", domain=domain, load=load, k=MICRO_K, metric="ifeval" if domain == "if" else "accuracy",
                 generation=MICRO_GENERATION, id_field="id", description=description)
