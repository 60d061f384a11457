"""The paper's SFT blend: rows of the Nemotron post-training datasets in the proportions of ``sft_blend.csv``.

``reference/sft_blend.csv`` (the paper's table, copied from ../shared/reference) lists each part of the blend
(Formal Proofs, Math, Math w/ Tools, Science, Code, Chat, Conversational Agent), its sample count, share and
source dataset (hub ``nvidia/<source_dataset>``). A recipe uses it when ``sft.blend`` names those parts
(``formal_proofs``, ``math``, ``math_tools``, ``science``, ``code``, ``chat``, ``conversational_agent``) and
``sft.dataset`` is ``nvidia/Nemotron-Post-Training-Dataset-v3`` (read every part from the hub) or a local
directory holding ``<part>.jsonl[.gz]`` or ``<source_dataset>.jsonl[.gz]`` per part.

Rows are the datasets' published chat schema: ``messages`` = ``[{role, content, reasoning_content?,
tool_calls?}, ...]`` (roles system / user / assistant / tool) ending with the assistant's turn, plus fields the
trainer does not read (``uuid``, ``license``, ``used_in``, ``tools``, ...). An assistant turn's
``reasoning_content`` becomes ``<think>...</think>`` before its content, the form Qwen3's template trains on.

Each part gets ``round(share × samples)`` rows (largest remainder; ``sft.samples``, else the table's total):
a seeded random subset when its source has more ("random sampling"), every row repeated as often as needed
when it has fewer ("use all", "repeat 10 times"). Two streaming passes per source (count, then write), so no
part is ever held in memory; rows are written part after part and the trainers shuffle them (TRL's and
OpenRLHF's SFT samplers both do).
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domains.loaders import iter_jsonl
from harness.errors import UserError

BLEND_CSV = Path(__file__).with_name("reference") / "sft_blend.csv"
NEMOTRON_SFT = "nvidia/Nemotron-Post-Training-Dataset-v3"
ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class Part:
    key: str  # recipe name: "math_tools"
    name: str  # the table's: "Math w/ Tools"
    samples: int
    share: float
    source: str  # "Nemotron-Math-v2"
    sampling: str

    @property
    def hub_id(self) -> str:
        return f"nvidia/{self.source}"


def part_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower().replace(" w/ ", " ")).strip("_")


def paper_blend() -> dict[str, Part]:
    with BLEND_CSV.open() as f:
        rows = list(csv.DictReader(f))
    return {part_key(r["blend"]): Part(part_key(r["blend"]), r["blend"], int(r["samples"]),
                                       float(r["proportion_pct"]) / 100, r["source_dataset"], r["sampling"])
            for r in rows}


def uses_blend(sft) -> bool:
    """Whether the recipe's ``sft`` section asks for the Nemotron blend (see the module docstring)."""
    parts = {k for k, v in sft.blend.items() if v > 0}
    return bool(parts) and parts <= set(paper_blend()) and sft.dataset is not None and (
        sft.dataset == NEMOTRON_SFT or Path(sft.dataset).is_dir())


def counts(sft) -> dict[str, int]:
    from harness.train.data import _counts, _shares

    table = paper_blend()
    shares = _shares(sft.blend, "sft.blend")
    unknown = sorted(set(shares) - set(table))
    if unknown:
        raise UserError(f"sft.blend: {unknown} are not parts of {BLEND_CSV.name}; parts: {', '.join(table)}")
    total = sft.samples or sum(table[k].samples for k in shares)
    return _counts(shares, total)


def source_for(part: Part, dataset: str) -> str:
    """The hub id, or the local file of ``part`` in the directory ``dataset``."""
    if dataset == NEMOTRON_SFT:
        return part.hub_id
    names = [f"{n}{ext}" for n in (part.key, part.source) for ext in (".jsonl", ".jsonl.gz")]
    for n in names:
        if (Path(dataset) / n).is_file():
            return str(Path(dataset) / n)
    raise UserError(f"sft.dataset {dataset}: no file for the blend part {part.key!r} ({part.name}); "
                    f"expected one of {', '.join(names)}")


def iter_rows(source: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, row)`` of a local JSONL file or every split of a hub dataset (streamed)."""
    if Path(source).exists() or source.endswith((".jsonl", ".jsonl.gz")):
        for i, row in enumerate(iter_jsonl(source), 1):
            yield f"{source}:{i}", row
        return
    try:
        from datasets import load_dataset

        splits = load_dataset(source, streaming=True)
    except Exception as e:  # noqa: BLE001 - network/hub failures become one line
        raise UserError(f"cannot stream {source} from the hub ({type(e).__name__}: {e}); download it and set "
                        "sft.dataset to a directory of <part>.jsonl files") from None
    for split in sorted(splits):
        for i, row in enumerate(splits[split], 1):
            yield f"{source}[{split}]:{i}", row


def chat_row(row: dict[str, Any], where: str) -> dict[str, Any]:
    """``{"messages": [...]}`` of one published row, validated; reasoning folded into ``<think>``."""
    msgs = row.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise UserError(f"{where}: expected 'messages', a non-empty list of {{role, content}} (the datasets' chat schema)")
    out = []
    for j, m in enumerate(msgs):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise UserError(f"{where}: messages[{j}].role must be one of {', '.join(ROLES)}")
        content = m.get("content")
        if content is None and not (m["role"] == "assistant" and m.get("tool_calls")):
            raise UserError(f"{where}: messages[{j}] has no content")
        msg = {"role": m["role"], "content": str(content or "")}
        if m["role"] == "assistant" and m.get("reasoning_content"):
            msg["content"] = f"<think>\n{m['reasoning_content'].strip()}\n</think>\n\n{msg['content']}"
        if m.get("tool_calls"):
            msg["tool_calls"] = m["tool_calls"]
        out.append(msg)
    if out[-1]["role"] != "assistant":
        raise UserError(f"{where}: the last message must be the assistant's (SFT trains on it)")
    return {"messages": out}


def picks(size: int, n: int, rng: random.Random) -> Counter[int]:
    """How often each of ``size`` rows is used to make ``n``: whole passes, then a random subset."""
    times: Counter[int] = Counter({i: n // size for i in range(size)} if n >= size else {})
    times.update(rng.sample(range(size), n % size))
    return times


def iter_blend(sft, seed: int) -> Iterator[dict[str, Any]]:
    """The blend's rows, part after part (see ``counts``)."""
    table = paper_blend()
    for key, n in counts(sft).items():
        source = source_for(table[key], sft.dataset)
        size = sum(1 for _ in iter_rows(source))
        if size == 0:
            raise UserError(f"sft blend part {key!r}: {source} has no rows")
        times = picks(size, n, random.Random(f"sft-blend|{seed}|{key}"))
        for i, (where, row) in enumerate(iter_rows(source)):
            if times.get(i):
                rec = chat_row(row, where)
                for _ in range(times[i]):
                    yield rec


def write_blend(sft, path: Path, seed: int) -> int:
    """Write the blend as JSONL ``{messages}`` (atomically); returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    n = 0
    with tmp.open("w") as f:
        for rec in iter_blend(sft, seed):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n
