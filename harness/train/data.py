"""Training data from the domain registry: the SFT blend and the (mixed) RL prompt stream.

``rl_pools`` + ``mixed_stream`` are THE prompt stream of an RL stage for both training backends: the local TRL
trainer reads it in order, the OpenRLHF launch writes it to its prompts file (``openrlhf/data.py``), so the same
recipe and seed give the same prompts. Pools come from micro generators or any ``rl_data`` source (the Nemotron
blend file, plain JSONL) with one limit rule (``data.<d>.rl``: 0 = no cap, ``domains.rl_data.cap``).

Rows handed to TRL carry the whole example as JSON in an ``example`` column next to ``prompt`` and ``domain``:
examples of different domains have labels of different shapes (a string, a list of tests, instruction ids with
kwargs), which one Arrow column cannot hold, and the reward function needs the full row to route and verify it.
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING

from domains.base import Example, MicroSplits
from harness.errors import UserError, unknown
from harness.recipe import Recipe

if TYPE_CHECKING:
    from datasets import Dataset

_SPLITS_CACHE: dict[tuple, MicroSplits] = {}


def domain_api(name: str):
    """The registry's domain object (``micro``, ``verify``)."""
    from domains.registry import get_domain

    return get_domain(name)


def splits(recipe: Recipe, domain: str, seed: int) -> MicroSplits:
    d = recipe.data.get(domain)
    if d is None:
        raise unknown("data domain", domain, list(recipe.data))
    if d.source != "micro":
        raise UserError(f"data.{domain}.source {d.source!r}: SFT references and micro eval splits are generated "
                        "(source micro); a non-micro recipe's SFT reads sft.dataset / sft.sources")
    key = (domain, seed, d.rl, d.sft, d.eval)
    if key not in _SPLITS_CACHE:
        _SPLITS_CACHE[key] = domain_api(domain).micro(seed=seed, n_rl=d.rl, n_sft=d.sft, n_eval=d.eval)
    return _SPLITS_CACHE[key]


def _shares(mix: dict[str, float], what: str) -> dict[str, float]:
    mix = {d: float(w) for d, w in mix.items() if w > 0}
    total = sum(mix.values())
    if not mix or total <= 0:
        raise UserError(f"{what}: needs at least one domain with a positive share")
    return {d: w / total for d, w in mix.items()}


def _counts(shares: dict[str, float], n: int) -> dict[str, int]:
    """Largest-remainder apportionment of ``n`` items by ``shares`` (sums to n exactly)."""
    raw = {d: s * n for d, s in shares.items()}
    out = {d: int(v) for d, v in raw.items()}
    for d in sorted(raw, key=lambda d: raw[d] - out[d], reverse=True)[: n - sum(out.values())]:
        out[d] += 1
    return out


def sft_examples(recipe: Recipe, seed: int) -> list[Example]:
    """The SFT blend: ``sum(data[d].sft)`` examples split across domains by ``sft.blend`` (cycled if short)."""
    shares = _shares(recipe.sft.blend, "sft.blend")
    total = sum(recipe.data[d].sft for d in shares if d in recipe.data)
    rng = random.Random(f"sft|{seed}")
    rows: list[Example] = []
    for d, n in _counts(shares, total).items():
        pool = [e for e in splits(recipe, d, seed).sft if e.get("meta", {}).get("response")]
        if not pool:
            raise UserError(f"domain {d!r} has no SFT examples with meta.response (data.{d}.sft)")
        rows += [pool[i % len(pool)] for i in range(n)]
    rng.shuffle(rows)
    return rows


def sft_dataset(recipe: Recipe, seed: int) -> Dataset:
    from datasets import Dataset

    from harness.train import sft_data

    if sft_data.uses_blend(recipe.sft):  # the paper's blend of the Nemotron post-training datasets
        return Dataset.from_list(list(sft_data.iter_blend(recipe.sft, seed)))
    rows = [{"messages": [*e["messages"], {"role": "assistant", "content": e["meta"]["response"]}]}
            for e in sft_examples(recipe, seed)]
    return Dataset.from_list(rows)


def rl_row(e: Example) -> dict:
    return {"prompt": e["messages"], "domain": e["domain"], "example": json.dumps(e)}


def mixed_stream(pools: dict[str, list[Example]], mix: dict[str, float], *, steps: int, per_step: int,
                 seed: int) -> list[Example]:
    """``steps`` consecutive blocks of ``per_step`` prompts, each block holding every domain by its share of ``mix``
    (largest remainder; a domain whose share rounds to 0 in a block gets its turn in later blocks). Each pool is
    walked in a seeded shuffled order and reshuffled when exhausted."""
    shares = _shares(mix, "mix")
    for d in shares:
        if not pools.get(d):
            raise UserError(f"domain {d!r} has a share in the mix but no examples (no RL prompts for domain {d!r}); "
                            f"check recipe data.{d}")
    rng = random.Random(f"rl|{seed}")
    order = {d: [] for d in shares}
    owed = {d: 0.0 for d in shares}
    out: list[Example] = []
    for _ in range(steps):
        for d in shares:
            owed[d] += shares[d] * per_step
        block_counts = _counts({d: owed[d] / sum(owed.values()) for d in shares}, per_step)
        block: list[Example] = []
        for d, n in block_counts.items():
            owed[d] -= n
            for _ in range(n):
                if not order[d]:
                    order[d] = list(pools[d])
                    rng.shuffle(order[d])
                block.append(order[d].pop())
        rng.shuffle(block)
        out += block
    return out


def rl_examples(recipe: Recipe, domain: str, seed: int) -> list[Example]:
    """``domain``'s RL prompts as the recipe's ``data`` section says; a domain that gets no rows stops the stage."""
    d = recipe.data.get(domain)
    if d is None:
        raise unknown("data domain", domain, list(recipe.data))
    if d.source == "micro":
        rows = list(splits(recipe, domain, seed).rl)
    else:
        rows = list(domain_api(domain).rl_data(d.source, limit=d.rl))
    if not rows:
        raise UserError(f"data.{domain}: source {d.source!r} gave no {domain} rows (the loader's WARNING lines "
                        "say which subsets it saw); point the source at data with this domain or drop it from the mix")
    return rows


def rl_pools(recipe: Recipe, mix: dict[str, float], seed: int) -> dict[str, list[Example]]:
    return {d: rl_examples(recipe, d, seed) for d in sorted(mix) if mix[d] > 0}


def rl_stream(recipe: Recipe, mix: dict[str, float], *, steps: int, per_step: int, seed: int) -> list[Example]:
    """The prompts of an RL stage, in order: what both backends train on."""
    return mixed_stream(rl_pools(recipe, mix, seed), mix, steps=steps, per_step=per_step, seed=seed)


def rl_dataset(recipe: Recipe, mix: dict[str, float], *, steps: int, per_step: int, seed: int) -> Dataset:
    from datasets import Dataset

    return Dataset.from_list([rl_row(e) for e in rl_stream(recipe, mix, steps=steps, per_step=per_step, seed=seed)])


def verifier():
    """``verify(example, completion, sandbox) -> Verdict``, routed by ``example["domain"]`` in the registry."""
    from domains import registry

    return registry.verify
