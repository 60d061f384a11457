"""The JSONL files an OpenRLHF launch reads, written from our example schema ``{id, domain, messages, label, meta}``.

RL prompts (``--data.input_key messages --data.label_key label --data.apply_chat_template``): one record per
prompt the run will consume, ``{"id", "domain", "messages", "label"}`` where ``label`` is a JSON *string*
``{"domain", "label", "id"}`` — a string because the domains' ground truths have different shapes (an answer,
unit tests, instruction ids + kwargs) and ``datasets`` would otherwise try to unify them into one struct. The
reward file routes on that ``domain``, so mixed (multi-task) files need nothing else.

SFT (``--data.input_key messages --data.apply_chat_template``, no output key): ``{"messages": prompt turns +
the reference assistant turn}``; OpenRLHF trains on the last (assistant) turn only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from domains.base import Example
from harness.errors import UserError

RL_DOMAINS = ("math", "code", "science", "if")


def label_json(example: Example) -> str:
    return json.dumps({"domain": example["domain"], "label": example["label"], "id": example["id"]},
                      ensure_ascii=False, sort_keys=True)


def rl_record(example: Example) -> dict:
    _check(example, need_response=False)
    return {"id": example["id"], "domain": example["domain"], "messages": example["messages"],
            "label": label_json(example)}


def sft_record(example: Example) -> dict:
    _check(example, need_response=True)
    reply = {"role": "assistant", "content": example["meta"]["response"]}
    return {"id": example["id"], "domain": example["domain"], "messages": [*example["messages"], reply]}


def _check(example: Example, need_response: bool) -> None:
    where = f"example {example.get('id', '?')!r} ({example.get('domain', '?')})"
    missing = [k for k in ("id", "domain", "messages", "label") if k not in example]
    if missing:
        raise UserError(f"{where}: missing field(s) {', '.join(missing)}; examples are {{id, domain, messages, label, meta}}")
    msgs = example["messages"]
    if not msgs or not all(isinstance(m, Mapping) and {"role", "content"} <= set(m) for m in msgs):
        raise UserError(f"{where}: messages must be a non-empty list of {{role, content}}")
    if msgs[-1]["role"] == "assistant":
        raise UserError(f"{where}: the prompt already ends with an assistant turn; RL prompts end with the user turn")
    if need_response and not (example.get("meta") or {}).get("response"):
        raise UserError(f"{where}: SFT needs the reference response in meta['response']")


def allocate(n: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Split ``n`` records by ``shares`` (normalised), largest remainder first; deterministic."""
    total = sum(v for v in shares.values() if v > 0)
    if total <= 0:
        raise UserError(f"mix {dict(shares)} has no positive share; give at least one domain a share > 0")
    exact = {d: n * v / total for d, v in shares.items() if v > 0}
    counts = {d: int(x) for d, x in exact.items()}
    for d in sorted(exact, key=lambda d: (counts[d] - exact[d], d))[: n - sum(counts.values())]:
        counts[d] += 1
    return counts


def sample_records(pools: Mapping[str, Sequence[Example]], shares: Mapping[str, float], n: int, seed: int,
                   make=rl_record, per_step: int | None = None) -> list[dict]:
    """``n`` records mixed by ``shares``: the local trainer's own stream (``harness.train.data.mixed_stream``,
    blocks of ``per_step`` = the rollout batch), so both backends train on the same prompts in the same order."""
    from harness.train.data import mixed_stream

    block = per_step or n
    stream = mixed_stream({d: list(p) for d, p in pools.items()}, dict(shares), steps=-(-n // block),
                          per_step=block, seed=seed)
    return [make(ex) for ex in stream[:n]]


def write_jsonl(path: Path, records: Sequence[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(path)
    return path


def domain_examples(recipe, domain: str, split: str) -> list[Example]:
    """``split`` ("rl" | "sft") examples of ``domain``, through the same loaders as the local trainer
    (``harness.train.data``): the same recipe and seed give both backends the same pools."""
    from harness.train import data as local

    spec = recipe.data.get(domain)
    if spec is None:
        raise UserError(f"recipe {recipe.name}: data.{domain} is missing; add it or drop {domain} from the mix")
    if split == "rl":
        return local.rl_examples(recipe, domain, recipe.seed)
    if spec.source != "micro":
        raise UserError(f"recipe {recipe.name}: data.{domain}.source={spec.source!r} has no SFT split; "
                        "set sft.dataset to a chat dataset (hub id or JSONL of {messages}) or sft.sources")
    return list(local.splits(recipe, domain, recipe.seed).sft)
