"""Math suites: AIME 2024 / 2025 (hub or native JSONL), generic ``math`` ({id, problem, answer}), micro-math."""

from __future__ import annotations

from typing import Any

from domains.base import Example, GenerationSettings, Suite
from domains.hub import load_hub_rows
from domains.loaders import read_jsonl
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)
PROMPT = "{problem}\nPlease reason step by step, and put your final answer within \\boxed{{}}."


def to_example(row: dict[str, Any], where: str, source: str) -> Example:
    problem = row.get("problem", row.get("question", row.get("Problem")))
    answer = row.get("answer", row.get("Answer"))
    rid = row.get("id", row.get("ID"))
    if problem is None or answer is None or rid is None:
        raise UserError(f"{where}: a math row needs id, problem and answer (got fields {sorted(row)})")
    return {"id": str(rid), "domain": "math", "messages": [{"role": "user", "content": PROMPT.format(problem=problem)}],
            "label": str(answer), "meta": {"source": source, "raw_prompt": problem}}


def _loader(name: str, hub_id: str | None, split: str = "train"):
    def load(path: str | None) -> list[Example]:
        if path is None and hub_id is None:
            raise UserError(f"suite {name} has no hub data: pass --data FILE with {{id, problem, answer}} lines")
        rows = read_jsonl(path) if path else load_hub_rows(hub_id, split=split, suite=name)
        where = path or hub_id
        return [to_example(r, f"{where}:{i}", name) for i, r in enumerate(rows, 1)]

    return load


def suites() -> dict[str, Suite]:
    from domains.math.micro import micro
    from domains.micro_suites import micro_suite

    out = [
        Suite("aime24", "math", _loader("aime24", "HuggingFaceH4/aime_2024"), k=16, generation=GEN,
              hub_id="HuggingFaceH4/aime_2024", description="AIME 2024, 30 problems, Avg@16"),
        Suite("aime25", "math", _loader("aime25", "math-ai/aime25", "test"), k=16, generation=GEN,
              hub_id="math-ai/aime25", description="AIME 2025, 30 problems, Avg@16"),
        Suite("math", "math", _loader("math", None), k=1, generation=GEN,
              description="your own problems: JSONL {id, problem, answer}; math-verify equivalence"),
        micro_suite("math", micro, 300, "generated modular arithmetic chains (last digit of a sum/product), \\boxed{} answers"),
    ]
    return {s.name: s for s in out}
