"""Shared machinery of the micro generators: content-hashed splits, chat examples, SFT responses.

Every micro problem has a *split key* (its content: the numbers of an arithmetic problem, the fact a question
asks about, ...). The split a key belongs to is a hash of ``(domain, key)`` and does not depend on the seed, so
the eval split of any seed is disjoint by content from the SFT and RL splits of every seed. The seed decides
which problems are drawn and in what order.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Hashable
from typing import Any

from domains.base import Example, MicroSplits
from harness.errors import UserError

# share of the key space each split draws from (eval, sft, rl)
SPLIT_SHARES: tuple[tuple[str, float], ...] = (("eval", 0.15), ("sft", 0.40), ("rl", 0.45))

# share of SFT references that carry the teacher's mistake (see ``fill_splits``)
TEACHER_ERROR = 0.4

# a sampler returns (split_key, dedup_key, example-without-id); dedup_key is unique within a split
Sampler = Callable[[random.Random], tuple[Hashable, Hashable, Example]]


def split_of(domain: str, key: Hashable) -> str:
    """The split ('eval' | 'sft' | 'rl') that a problem's content belongs to, independent of the seed."""
    digest = hashlib.sha256(f"{domain}|{key!r}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    acc = 0.0
    for name, share in SPLIT_SHARES:
        acc += share
        if u < acc:
            return name
    return SPLIT_SHARES[-1][0]


def fill_splits(domain: str, sample: Sampler, *, seed: int, n_rl: int, n_sft: int, n_eval: int,
                max_draws_per_item: int = 400,
                accept: Callable[[str, Example], bool] | None = None,
                teacher_error: float = TEACHER_ERROR) -> MicroSplits:
    """Draw from ``sample`` until each split holds its count; ids are ``<domain>-<split>-<seed>-<index>``.
    ``accept(split, example)`` may refuse a drawn problem for one split (e.g. SFT sees only part of the task
    family, so what RL and evaluation ask for beyond it is learnt, not copied).

    The SFT references come from an imperfect teacher: a sampler may put a plausible wrong response, the
    domain's typical mistake, in ``meta["mistake"]``, and ``teacher_error`` of the SFT examples that have one
    carry it as their reference (``meta["teacher_error"]`` says which). Labels stay right, and RL and eval
    examples never see a mistake. This is the room RL has in the paper's setting: SFT imitates distilled traces,
    errors included, and a verifier's reward removes what imitation copied (measured at micro scale: without it
    a ~1 M-parameter SFT model either already solves a task or cannot, and GRPO gains on one seed and not the
    other). The draws use their own random stream, so the splits' problems do not depend on ``teacher_error``."""
    for name, n in (("n_rl", n_rl), ("n_sft", n_sft), ("n_eval", n_eval)):
        if n < 0:
            raise UserError(f"micro {domain}: {name} must be >= 0, got {n}")
    if not 0.0 <= teacher_error <= 1.0:
        raise UserError(f"micro {domain}: teacher_error must be in [0, 1], got {teacher_error}")
    noise = random.Random(f"teacher|{domain}|{seed}")
    want = {"rl": n_rl, "sft": n_sft, "eval": n_eval}
    got: dict[str, list[Example]] = {"rl": [], "sft": [], "eval": []}
    seen: dict[str, set[Hashable]] = {"rl": set(), "sft": set(), "eval": set()}
    rng = random.Random(f"micro|{domain}|{seed}")
    budget = max_draws_per_item * max(1, n_rl + n_sft + n_eval)
    draws = 0
    while any(len(got[s]) < want[s] for s in want):
        draws += 1
        if draws > budget:
            short = {s: f"{len(got[s])}/{want[s]}" for s in want}
            raise UserError(
                f"micro {domain}: the problem space is too small for the requested split sizes ({short} after "
                f"{budget} draws); ask for fewer examples or widen the generator's ranges (keyword arguments)"
            )
        split_key, dedup_key, ex = sample(rng)
        split = split_of(domain, split_key)
        if len(got[split]) >= want[split] or dedup_key in seen[split]:
            continue
        if accept is not None and not accept(split, ex):
            continue
        seen[split].add(dedup_key)
        ex = {"id": f"{domain}-{split}-{seed}-{len(got[split])}", "domain": domain, **ex}
        ex.setdefault("meta", {})
        ex["meta"] = {**ex["meta"], "split": split, "seed": seed}
        mistake = ex["meta"].pop("mistake", None)
        if split != "sft":
            ex["meta"].pop("response", None)
        elif mistake is not None:
            wrong = noise.random() < teacher_error
            ex["meta"]["teacher_error"] = wrong
            if wrong:
                ex["meta"]["response"] = mistake
        got[split].append(ex)
    return MicroSplits(rl=got["rl"], sft=got["sft"], eval=got["eval"])


def chat(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def example(prompt: str, label: Any, response: str, **meta: Any) -> Example:
    """An example without id/domain (``fill_splits`` adds them); ``response`` is the SFT reference."""
    return {"messages": chat(prompt), "label": label, "meta": {"response": response, **meta}}


def sft_messages(ex: Example) -> list[dict[str, str]]:
    """The chat of an SFT example: its prompt followed by the reference assistant response."""
    return [*ex["messages"], {"role": "assistant", "content": ex["meta"]["response"]}]
