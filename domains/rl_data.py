"""RL data loaders shared by the domains: the Nemotron-3 Nano RL blend, plain JSONL, and micro.

``rl_data(domain, source, limit)`` with ``source``:
  ``micro``                       the domain's micro generator (seed 0), RL split
  ``nemotron``                    hub ``nvidia/Nemotron-3-Nano-RL-Training-Blend`` (needs network + ``datasets``)
  ``nemotron:PATH``               a local JSONL file in the blend's record format
  ``PATH``                        plain JSONL ``{prompt, answer}`` (``id``, ``label`` optional; see ``plain_label``)

Blend records (see ../shared/reference/paper_settings.md, "RL data"): the prompt is
``responses_create_params.input`` (chat messages or a string), the subset is ``dataset``; ground truth by
subset: STEM MCQA ``expected_answer`` (a letter) + ``options``; instruction following ``instruction_id_list``,
``kwargs``, ``prompt``; competitive coding ``verifier_metadata.unit_tests{inputs, outputs}``; math
``expected_answer`` once the release's ``_hf_placeholder`` rows are resolved (NVIDIA's ``create_nanov3_jsonl.py``
fills them from DAPO-Math-17k / Skywork-OR1). Structured-output rows are dropped, as in the study.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from domains.base import Example
from domains.loaders import iter_jsonl
from harness.errors import UserError

log = logging.getLogger(__name__)
NEMOTRON_HUB_ID = "nvidia/Nemotron-3-Nano-RL-Training-Blend"
MAX_RL_TESTS = 20  # paper: "when a problem has > 20 tests, 20 are sampled"
# substring of the record's ``dataset`` -> our domain (first match wins; order matters)
SUBSET_DOMAINS: tuple[tuple[str, str | None], ...] = (
    ("structured", None), ("mcqa", "science"), ("stem", "science"), ("instruction", "if"), ("ifeval", "if"),
    ("coding", "code"), ("code", "code"), ("math", "math"),
)


def subset_domain(subset: str) -> str | None:
    s = (subset or "").lower()
    return next((dom for key, dom in SUBSET_DOMAINS if key in s), None)


def _messages(value: Any, where: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, list) and all(isinstance(m, dict) and "content" in m for m in value):
        return [{"role": m.get("role", "user"), "content": str(m["content"])} for m in value
                if m.get("role", "user") != "assistant"]
    raise UserError(f"{where}: responses_create_params.input must be a string or a list of chat messages")


def map_nemotron(record: dict[str, Any], where: str = "record") -> Example | None:
    """One blend record -> our example, or None when its subset is not one of ours (or is dropped)."""
    domain = subset_domain(str(record.get("dataset", "")))
    if domain is None:
        return None
    params = record.get("responses_create_params") or {}
    messages = _messages(params.get("input"), where)
    meta = {"source": "nemotron", "subset": record.get("dataset")}
    if domain == "math":
        ans = record.get("expected_answer")
        if ans in (None, "") or "_hf_placeholder" in str(ans):
            raise UserError(f"{where}: math row without expected_answer (an unresolved _hf_placeholder); resolve "
                            "the blend first with NVIDIA's create_nanov3_jsonl.py")
        label: Any = str(ans)
    elif domain == "science":
        options = record.get("options")
        n = len(options) if isinstance(options, list | dict) else 26
        label = {"answer": str(record["expected_answer"]).strip().upper(), "n_choices": n}
    elif domain == "if":
        label = {"instruction_id_list": list(record["instruction_id_list"]), "kwargs": list(record.get("kwargs") or []),
                 "prompt": record.get("prompt") or messages[-1]["content"]}
    else:
        ut = (record.get("verifier_metadata") or {}).get("unit_tests") or {}
        ins, outs = ut.get("inputs") or [], ut.get("outputs") or []
        if not ins or len(ins) != len(outs):
            raise UserError(f"{where}: coding row needs verifier_metadata.unit_tests with as many inputs as outputs")
        tests = [{"input": i, "output": o} for i, o in zip(ins, outs, strict=True)]
        if len(tests) > MAX_RL_TESTS:  # the study samples 20 tests of a larger problem (deterministically here)
            keep = sorted(random.Random(f"tests|{where}|{len(tests)}").sample(range(len(tests)), MAX_RL_TESTS))
            tests = [tests[k] for k in keep]
            meta["tests_sampled_from"] = len(ins)
        label = {"format": "stdio", "tests": tests}
    rid = record.get("id") or record.get("uuid") or f"{where}"
    return {"id": str(rid), "domain": domain, "messages": messages, "label": label, "meta": meta}


def iter_nemotron(records: Iterable[dict[str, Any]], domain: str, limit: int | None = None,
                  source: str = "nemotron") -> Iterator[Example]:
    dropped: Counter[str] = Counter()
    n = 0
    for i, rec in enumerate(records, 1):
        if limit is not None and n >= limit:
            break
        ex = map_nemotron(rec, f"{source}:{i}")
        if ex is None or ex["domain"] != domain:
            dropped[str(rec.get("dataset"))] += 1
            continue
        if ex["id"] == f"{source}:{i}":
            ex["id"] = f"nemotron-{domain}-{i}"
        n += 1
        yield ex
    if dropped:
        log.info("nemotron blend: %d %s rows; other subsets skipped: %s", n, domain, dict(dropped))


def plain_label(domain: str, row: dict[str, Any], where: str) -> Any:
    """The label of a plain JSONL row: ``label`` if present, else built from the domain's usual fields."""
    if "label" in row:
        return row["label"]
    try:
        if domain == "math":
            return str(row["answer"])
        if domain in ("science", "general"):
            return {"answer": str(row["answer"]).strip().upper(), "n_choices": len(row.get("choices") or "ABCD")}
        if domain == "code":
            return {"format": row.get("format", "stdio"), "tests": row["tests"], **(
                {"fn_name": row["fn_name"]} if "fn_name" in row else {})}
        if domain == "if":
            return {"instruction_id_list": row["instruction_id_list"], "kwargs": row.get("kwargs") or [],
                    "prompt": row["prompt"]}
    except KeyError as e:
        raise UserError(f"{where}: missing field {e.args[0]!r} for a {domain} row") from None
    raise UserError(f"{where}: no label rule for domain {domain!r}")


def iter_plain(path: str, domain: str, limit: int | None = None) -> Iterator[Example]:
    for i, row in enumerate(iter_jsonl(path), 1):
        if limit is not None and i > limit:
            break
        where = f"{path}:{i}"
        if "prompt" not in row:
            raise UserError(f"{where}: missing field 'prompt'")
        yield {"id": str(row.get("id", f"{domain}-{i}")), "domain": domain, "messages": _messages(row["prompt"], where),
               "label": plain_label(domain, row, where), "meta": {"source": str(path)}}


def rl_data(domain: str, source: str, limit: int | None = None) -> Iterator[Example]:
    if source == "micro":
        from domains.registry import get_domain

        return iter(get_domain(domain).micro(0, limit or 2000, 0, 0).rl)
    if source == "nemotron":
        try:
            from datasets import load_dataset

            ds = load_dataset(NEMOTRON_HUB_ID, split="train", streaming=True)
        except Exception as e:  # noqa: BLE001 - network/hub failures become one line
            raise UserError(f"cannot load {NEMOTRON_HUB_ID} from the hub ({type(e).__name__}: {e}); download it and "
                            "use source 'nemotron:PATH'") from None
        return iter_nemotron(ds, domain, limit)
    if source.startswith("nemotron:"):
        path = source.split(":", 1)[1]
        return iter_nemotron(iter_jsonl(path), domain, limit, source=path)
    return iter_plain(source, domain, limit)
