"""Code: RL data (Nemotron competitive coding / JSONL / micro), the sandboxed test verifier, LCB + HumanEval suites."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from domains.base import Example, MicroSplits, Suite, Verdict
from domains.code.micro import micro as _micro
from domains.code.verify import VERSION, verify_code


class CodeDomain:
    name = "code"
    verifier_version = VERSION

    def rl_data(self, source: str, limit: int | None = None) -> Iterator[Example]:
        from domains.rl_data import rl_data

        return rl_data(self.name, source, limit)

    def micro(self, seed: int, n_rl: int, n_sft: int, n_eval: int, **knobs: Any) -> MicroSplits:
        return _micro(seed, n_rl, n_sft, n_eval, **knobs)

    def verify(self, example: Example, completion: str, sandbox: Any = None) -> Verdict:
        return verify_code(example, completion, sandbox)

    def suites(self) -> dict[str, Suite]:
        from domains.code.suites import suites

        return suites()


DOMAIN = CodeDomain()
