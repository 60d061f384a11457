"""The one registry of domains: name -> Domain. Multi-task RL routes every sample's reward by its ``domain``.

Adding a domain = one package under ``domains/`` + one line in ``DOMAINS`` + its tests
(``tests/domains/test_registry.py`` fails when a package is not registered here).
"""

from __future__ import annotations

import random
from typing import Any

from domains import code, general, instruction_following, math, science
from domains.base import Domain, Example, Suite, Verdict
from harness.errors import UserError, unknown

DOMAINS: dict[str, Domain] = {
    "math": math.DOMAIN,
    "code": code.DOMAIN,
    "science": science.DOMAIN,
    "if": instruction_following.DOMAIN,
    "general": general.DOMAIN,
}
RL_DOMAINS: tuple[str, ...] = ("math", "code", "science", "if")


def get_domain(name: str) -> Domain:
    try:
        return DOMAINS[name]
    except (KeyError, TypeError):
        raise unknown("domain", str(name), list(DOMAINS)) from None


def all_suites() -> dict[str, Suite]:
    """Every eval suite of every domain; a name defined twice is an error, not a silent override."""
    out: dict[str, Suite] = {}
    for dom in DOMAINS.values():
        for name, suite in dom.suites().items():
            if name in out:
                raise UserError(f"suite {name!r} is defined by both {out[name].domain!r} and {suite.domain!r}")
            out[name] = suite
    return out


def get_suite(name: str) -> Suite:
    suites = all_suites()
    if name not in suites:
        raise unknown("suite", name, list(suites))
    return suites[name]


def verify(example: Example, completion: str, sandbox: Any = None) -> Verdict:
    """Score ``completion`` with the verifier of ``example["domain"]`` (code needs an open sandbox)."""
    return get_domain(example.get("domain", "")).verify(example, completion, sandbox=sandbox)


def verifier_versions() -> dict[str, str]:
    """Per-domain verifier versions, for stage hashes and result provenance."""
    return {name: dom.verifier_version for name, dom in DOMAINS.items()}


def micro_corpus(seed: int, n: int, *, domains: tuple[str, ...] | None = None) -> list[str]:
    """``n`` raw texts across the domains (prompt + reference response of SFT-split problems, every sentence
    of the general domain's fact world) for training the micro tokenizer and pretraining the base.
    Eval-split problems never appear; the general world's facts all do (that is what pretraining teaches)."""
    from domains.general.micro import world_texts

    names = domains or tuple(DOMAINS)
    per = max(1, min(n // len(names), 500))  # the smallest SFT split (science) holds ~750 problems
    texts = list(world_texts())
    for name in names:
        for ex in get_domain(name).micro(seed, 0, per, 0).sft:
            texts.append(f"{ex['messages'][0]['content']}\n{ex['meta']['response']}")
    random.Random(f"corpus|{seed}").shuffle(texts)
    return texts[:n] if len(texts) >= n else (texts * (n // len(texts) + 1))[:n]
