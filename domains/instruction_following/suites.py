"""IF suites: IFEval and IFBench (hub or the native JSONL: key, prompt, instruction_id_list, kwargs), micro-if."""

from __future__ import annotations

from typing import Any

from domains.base import Example, GenerationSettings, Suite
from domains.hub import hub_or_file_rows
from domains.loaders import Loaded
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)


IF_FIELDS = ("key", "prompt", "instruction_id_list", "kwargs")


def to_example(row: dict[str, Any], registry: str, where: str = "") -> Example:
    missing = [f for f in IF_FIELDS if f not in row]
    if missing or not isinstance(row.get("instruction_id_list"), list):
        raise UserError(f"{where}: an {registry} row needs {', '.join(IF_FIELDS)} (instruction_id_list a list); "
                        f"missing {missing or ['instruction_id_list (not a list)']} (got fields {sorted(row)[:8]})")
    kwargs = [{k: v for k, v in (kw or {}).items() if v is not None} for kw in row.get("kwargs") or []]
    return {"id": str(row["key"]), "domain": "if", "messages": [{"role": "user", "content": row["prompt"]}],
            "label": {"instruction_id_list": list(row["instruction_id_list"]), "kwargs": kwargs,
                      "prompt": row["prompt"], "registry": registry}, "meta": {"source": registry}}


def _loader(registry: str, hub_id: str, split: str):
    def load(path: str | None) -> Loaded:
        rows = hub_or_file_rows(path, hub_id, split=split, suite=registry)
        return Loaded([to_example(r, registry, w) for w, r in rows],
                      {"prompt_matching": "exact or stripped prompt text (IFBench run_eval); a prompt without a "
                                          "response counts as not followed"})

    return load


def suites() -> dict[str, Suite]:
    from domains.instruction_following.micro import micro
    from domains.micro_suites import micro_suite

    out = [
        Suite("ifeval", "if", _loader("ifeval", "google/IFEval", "train"), k=1, metric="ifeval", generation=GEN,
              id_field="key", hub_id="google/IFEval", description="IFEval, 541 prompts, official checkers"),
        Suite("ifbench", "if", _loader("ifbench", "allenai/IFBench_test", "train"), k=1, metric="ifeval",
              generation=GEN, id_field="key", hub_id="allenai/IFBench_test",
              description="IFBench test, 300 prompts (294 scored in the paper), official checkers"),
        micro_suite("if", micro, 200, "generated short texts under IFEval constraints, IFEval checkers"),
    ]
    return {s.name: s for s in out}
