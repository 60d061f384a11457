"""Instruction following (registry name "if"): RL data, the IFEval/IFBench checkers, IFEval + IFBench suites."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domains.base import Example, MicroSplits, Suite, Verdict
from domains.instruction_following.micro import micro as _micro
from domains.instruction_following.verify import VERSION, verify_if


class InstructionFollowingDomain:
    name = "if"
    verifier_version = VERSION

    def rl_data(self, source: str, limit: int | None = None) -> Iterator[Example]:
        from domains.rl_data import rl_data

        return rl_data(self.name, source, limit)

    def micro(self, seed: int, n_rl: int, n_sft: int, n_eval: int, **knobs: Any) -> MicroSplits:
        return _micro(seed, n_rl, n_sft, n_eval, **knobs)

    def verify(self, example: Example, completion: str, sandbox: Any = None) -> Verdict:
        return verify_if(example, completion)

    def suites(self) -> dict[str, Suite]:
        from domains.instruction_following.suites import suites

        return suites()


DOMAIN = InstructionFollowingDomain()
