"""The Domain seam: example schema, verdicts, suites.

An example is a plain dict ``{id, domain, messages, label, meta}``:
  id        str, unique within its split/suite
  domain    one of the registry's names ("math", "code", "science", "if", "general")
  messages  chat prompt: list of {"role", "content"} (no assistant turn)
  label     the ground truth the verifier needs (answer string, tests, instruction ids + kwargs, ...)
  meta      anything else (source, difficulty, reference response for SFT under meta["response"], ...)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

Example = dict[str, Any]


@dataclass(frozen=True)
class Verdict:
    """A verifier's judgement. ``infra=True`` means the judgement could not be made (the sandbox or an engine
    failed, not the completion): reward 0 and correct False are placeholders that training masks out and
    evaluation reports as missing, never as wrong. ``details["infra"]`` carries the flag wherever only the
    details travel (sample files, score rows)."""

    reward: float
    correct: bool
    details: dict[str, Any] = field(default_factory=dict)
    infra: bool = False

    def __post_init__(self) -> None:
        if self.infra:
            self.details["infra"] = True

    @classmethod
    def infra_failure(cls, why: str, **details: Any) -> Verdict:
        return cls(0.0, False, {"infra_detail": why, **details}, infra=True)


def is_infra(verdict_or_details: Verdict | dict[str, Any] | None) -> bool:
    """Whether a verdict (or the details dict of one) is an infrastructure failure."""
    if isinstance(verdict_or_details, Verdict):
        return verdict_or_details.infra
    return bool((verdict_or_details or {}).get("infra"))


@dataclass(frozen=True)
class GenerationSettings:
    temperature: float = 1.0
    top_p: float = 0.7
    max_new_tokens: int = 32768
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suite:
    name: str
    domain: str
    load: Callable[[str | None], list[Example]]  # path (native format) or None (hub id / generated)
    k: int = 1
    metric: str = "accuracy"  # "accuracy" | "ifeval"
    generation: GenerationSettings = GenerationSettings()
    id_field: str = "id"
    hub_id: str | None = None
    description: str = ""
    version: str = "1"
    # (example, response row, file:line) -> (example to score against, the order its letters refer to, a verdict
    # or None): lets a scored response carry the choice order it was produced under (GPQA)
    response_order: Callable[[Example, dict[str, Any], str], tuple[Example, str, Verdict | None]] | None = None


@dataclass(frozen=True)
class MicroSplits:
    rl: list[Example]
    sft: list[Example]  # meta["response"] holds the reference assistant response
    eval: list[Example]


class Domain(Protocol):
    name: str
    verifier_version: str

    def rl_data(self, source: str, limit: int | None = None) -> Iterator[Example]: ...
    def micro(self, seed: int, n_rl: int, n_sft: int, n_eval: int, **knobs: Any) -> MicroSplits: ...  # knobs: difficulty
    def verify(self, example: Example, completion: str, sandbox: Any = None) -> Verdict: ...
    def suites(self) -> dict[str, Suite]: ...


@dataclass(frozen=True)
class ModuleDomain:
    """A domain assembled from its package: ``<package>.micro``, a verify function, ``<package>.suites.suites()``.

    Every domain package ends in one line, ``DOMAIN = ModuleDomain(...)``; suites are imported lazily (they pull
    in the hub loaders), RL data goes through the shared ``domains.rl_data`` mapping.
    """

    name: str
    package: str
    verifier_version: str
    verify_fn: Callable[..., Verdict]
    micro_fn: Callable[..., MicroSplits]
    uses_sandbox: bool = False

    def rl_data(self, source: str, limit: int | None = None) -> Iterator[Example]:
        from domains.rl_data import rl_data

        return rl_data(self.name, source, limit)

    def micro(self, seed: int, n_rl: int, n_sft: int, n_eval: int, **knobs: Any) -> MicroSplits:
        return self.micro_fn(seed, n_rl, n_sft, n_eval, **knobs)

    def verify(self, example: Example, completion: str, sandbox: Any = None) -> Verdict:
        if self.uses_sandbox:
            return self.verify_fn(example, completion, sandbox)
        return self.verify_fn(example, completion)

    def suites(self) -> dict[str, Suite]:
        return importlib.import_module(f"{self.package}.suites").suites()
