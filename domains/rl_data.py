"""RL data loaders shared by the domains: the Nemotron-3 Nano RL blend, plain JSONL, and micro.

``rl_data(domain, source, limit)`` (``limit`` 0 or None = no cap, everywhere: ``cap``) with ``source``:
  ``micro``                       the domain's micro generator (seed 0), RL split
  ``nemotron``                    hub ``nvidia/Nemotron-3-Nano-RL-Training-Blend`` (needs network + ``datasets``)
  ``nemotron:PATH``               a local JSONL file in the blend's record format
  ``PATH``                        plain JSONL ``{prompt, answer}`` (``id``, ``label`` optional; see ``plain_label``)

Blend records (see ../shared/reference/paper_settings.md, "RL data"): the prompt is
``responses_create_params.input`` (chat messages or a string), the subset is ``dataset``; ground truth by
subset: STEM MCQA ``expected_answer`` (a letter) + ``options``; instruction following ``instruction_id_list``,
``kwargs``, ``prompt``; competitive coding ``verifier_metadata.unit_tests{inputs, outputs}``; math
``expected_answer`` once the release's ``_hf_placeholder`` rows are resolved (NVIDIA's ``create_nanov3_jsonl.py``
fills them from DAPO-Math-17k / Skywork-OR1; unresolved rows are refused with that command). Subsets map to
domains by the blend's exact ``dataset`` labels (``BLEND_SUBSETS``, the paper's own split); structured outputs
are dropped, workbench is the paper's agent domain (no verifier here yet), NeMo Gym's own example rows label
code by upstream source (``taco``). A STEM row's ``template_metadata.output_regex`` (or ``grading_mode``) is kept
in its label as ``answer_regex``: the verifier reads the letter in the format the prompt asked for.
"""

from __future__ import annotations

import logging
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from domains.base import Example
from domains.loaders import iter_jsonl
from harness.errors import UserError

log = logging.getLogger(__name__)
NEMOTRON_HUB_ID = "nvidia/Nemotron-3-Nano-RL-Training-Blend"
MAX_RL_TESTS = 20  # paper: "when a problem has > 20 tests, 20 are sampled"
# The blend's own ``dataset`` labels -> our domain, as the paper's code splits it (Mosi-AI/M2RL,
# M2RL/data/process_rl_data.py); None = dropped by the study. Exact labels, no substring guessing.
BLEND_SUBSETS: dict[str, str | None] = {
    "nano_v3_sft_profiled_dapo17k": "math",
    "nano_v3_sft_profiled_skywork_no_omni": "math",
    "nano_v3_sft_profiled_stem_mcqa": "science",
    "nano_v3_sft_profiled_instruction_following": "if",
    "nano_v3_sft_profiled_comp_coding_50tests": "code",
    "nano_v3_sft_profiled_workbench": "agent",  # the paper's v3 fifth domain; no verifier in this tree yet
    "nano_v3_sft_profiled_structured_outputs": None,
}
# NeMo Gym's own example rows carry their upstream source in ``dataset`` instead of the blend's label
GYM_SOURCES: dict[str, str] = {"taco": "code"}
DROPPED = "(dropped by the study)"
RESOLVE_PLACEHOLDERS = (
    "hf download nvidia/Nemotron-3-Nano-RL-Training-Blend --repo-type dataset --local-dir data && "
    "python data/create_nanov3_jsonl.py --input data/train.jsonl --output data/train-full.jsonl, then use "
    "source 'nemotron:data/train-full.jsonl'"
)
# Gym's mcqa ``grading_mode`` without a template: the letter inside \boxed{}
GRADING_REGEX = {"strict_single_letter_boxed": r"\\boxed\{\s*([A-Za-z])\s*\}"}


def cap(limit: int | None) -> int | None:
    """The one limit rule: ``0`` or ``None`` = no cap; a negative limit is an error."""
    if limit is not None and limit < 0:
        raise UserError(f"limit {limit}: use a positive cap, or 0 for no cap")
    return limit or None


def subset_domain(subset: str) -> str | None:
    """Our domain for a blend ``dataset`` label (or a Gym upstream source); None when dropped or unknown."""
    return BLEND_SUBSETS.get(subset) if subset in BLEND_SUBSETS else GYM_SOURCES.get(subset)


def _messages(value: Any, where: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, list) and all(isinstance(m, dict) and "content" in m for m in value):
        return [{"role": m.get("role", "user"), "content": str(m["content"])} for m in value
                if m.get("role", "user") != "assistant"]
    raise UserError(f"{where}: responses_create_params.input must be a string or a list of chat messages")


def _science_label(record: dict[str, Any], where: str) -> dict[str, Any]:
    """Letter, choice count and the answer format the row asks for (``template_metadata.output_regex``, or the
    regex of its ``grading_mode``); the verifier extracts the letter with that regex."""
    options = record.get("options")
    n = len(options) if isinstance(options, list | dict) else 26
    label: dict[str, Any] = {"answer": str(record["expected_answer"]).strip().upper(), "n_choices": n}
    regex = (record.get("template_metadata") or {}).get("output_regex") or GRADING_REGEX.get(
        str(record.get("grading_mode")))
    if regex:
        try:
            re.compile(regex)
        except re.error as e:
            raise UserError(f"{where}: template_metadata.output_regex {regex!r} does not compile ({e})") from None
        label["answer_regex"] = regex
    return label


def map_nemotron(record: dict[str, Any], where: str = "record") -> Example | None:
    """One blend record -> our example, or None when its subset is dropped, unknown or has no domain here."""
    from domains.registry import DOMAINS

    domain = subset_domain(str(record.get("dataset", "")))
    if domain is None or domain not in DOMAINS:
        return None
    if domain == "math" and ("_hf_placeholder" in record or "_hf_placeholder" in str(record.get("expected_answer"))
                             or record.get("expected_answer") in (None, "")):
        raise UserError(f"{where}: math row is an unresolved _hf_placeholder (no question/expected_answer); "
                        f"restore the blend with NVIDIA's script: {RESOLVE_PLACEHOLDERS}")
    params = record.get("responses_create_params") or {}
    messages = _messages(params.get("input"), where)
    meta = {"source": "nemotron", "subset": record.get("dataset")}
    if domain == "math":
        label: Any = str(record["expected_answer"])
    elif domain == "science":
        label = _science_label(record, where)
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
    rid = record.get("id") if record.get("id") not in (None, "") else record.get("uuid") or record.get("hash_id")
    return {"id": str(rid if rid not in (None, "") else where), "domain": domain, "messages": messages,
            "label": label, "meta": meta}


def _why_skipped(subset: str) -> str:
    from domains.registry import DOMAINS

    dom = subset_domain(subset)
    if subset in BLEND_SUBSETS and dom is None:
        return DROPPED
    if dom is not None and dom not in DOMAINS:
        return f"(domain {dom!r}: not in the registry)"
    return "(unknown subset label)" if dom is None else ""


def iter_nemotron(records: Iterable[dict[str, Any]], domain: str, limit: int | None = None,
                  source: str = "nemotron") -> Iterator[Example]:
    """The ``domain`` rows of a blend file (``limit``: see ``cap``). Every subset that maps to no domain of ours
    is reported at WARNING with its row count; rows of our other domains are counted at INFO."""
    limit = cap(limit)
    unmapped: Counter[str] = Counter()
    others: Counter[str] = Counter()
    n = 0
    for i, rec in enumerate(records, 1):
        if limit is not None and n >= limit:
            break
        ex = map_nemotron(rec, f"{source}:{i}")
        subset = str(rec.get("dataset", "")) if rec.get("dataset") is not None else "(no dataset label)"
        if ex is None:
            unmapped[subset] += 1
            continue
        if ex["domain"] != domain:
            others[ex["domain"]] += 1
            continue
        if ex["id"] == f"{source}:{i}":
            ex["id"] = f"nemotron-{domain}-{i}"
        n += 1
        yield ex
    for subset, count in sorted(unmapped.items()):
        log.warning("%s: %d rows of subset %s mapped to no domain %s", source, count, subset, _why_skipped(subset))
    log.info("%s: %d %s rows; rows of other domains: %s", source, n, domain, dict(others))


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
    limit = cap(limit)
    for i, row in enumerate(iter_jsonl(path), 1):
        if limit is not None and i > limit:
            break
        where = f"{path}:{i}"
        if "prompt" not in row:
            raise UserError(f"{where}: missing field 'prompt'")
        yield {"id": str(row.get("id", f"{domain}-{i}")), "domain": domain, "messages": _messages(row["prompt"], where),
               "label": plain_label(domain, row, where), "meta": {"source": str(path)}}


def rl_data(domain: str, source: str, limit: int | None = None) -> Iterator[Example]:
    """``domain``'s RL examples from ``source`` with at most ``limit`` rows (``cap``: 0 = no cap)."""
    if source == "micro":
        from domains.registry import get_domain

        if cap(limit) is None:
            raise UserError(f"{domain}: micro RL data is generated, so it needs a count (data.{domain}.rl > 0); "
                            "0 = no cap applies to files and the hub blend")
        return iter(get_domain(domain).micro(0, limit, 0, 0).rl)
    if source == "nemotron":
        try:
            from datasets import load_dataset

            ds = load_dataset(NEMOTRON_HUB_ID, split="train", streaming=True)
        except Exception as e:  # noqa: BLE001 - network/hub failures become one line
            raise UserError(f"cannot load {NEMOTRON_HUB_ID} from the hub ({type(e).__name__}: {e}); download it and "
                            "use source 'nemotron:PATH'") from None
        return iter_nemotron(ds, domain, limit)
    if source.startswith("nemotron:"):
        from harness.paths import expand_external

        path = expand_external(source.split(":", 1)[1])
        return iter_nemotron(iter_jsonl(path), domain, limit, source=path)
    return iter_plain(source, domain, limit)
