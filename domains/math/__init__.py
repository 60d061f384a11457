"""Math: RL data (Nemotron blend / JSONL / micro), the math-verify verifier, AIME and generic suites."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domains.base import Example, MicroSplits, Suite, Verdict
from domains.math.micro import micro as _micro
from domains.math.verify import VERSION, verify_math


class MathDomain:
    name = "math"
    verifier_version = VERSION

    def rl_data(self, source: str, limit: int | None = None) -> Iterator[Example]:
        from domains.rl_data import rl_data

        return rl_data(self.name, source, limit)

    def micro(self, seed: int, n_rl: int, n_sft: int, n_eval: int, **knobs: Any) -> MicroSplits:
        return _micro(seed, n_rl, n_sft, n_eval, **knobs)

    def verify(self, example: Example, completion: str, sandbox: Any = None) -> Verdict:
        return verify_math(example, completion)

    def suites(self) -> dict[str, Suite]:
        from domains.math.suites import suites

        return suites()


DOMAIN = MathDomain()
