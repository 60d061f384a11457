"""Math suites: AIME 2024 / 2025 (hub or their published files), generic ``math`` ({id, problem, answer}), micro-math.

Accepted rows (any format ``domains.loaders.read_rows`` reads):
- HuggingFaceH4/aime_2024 and math-ai/aime25: ``id, problem, answer`` (``answer`` may be zero-padded, "025").
- math-ai/aime24 (the set the paper's own code evaluates on): ``id, problem, solution`` with no ``answer``; the
  gold is the ``\\boxed{}`` in ``solution`` (M2RL's download_aime.py takes ``solution[7:-1]``, i.e. the inside
  of a solution that is exactly ``\\boxed{N}``; we take the last balanced ``\\boxed{}``, the same on those rows).
- copies without ``id`` (many public AIME'25 files): the id is the row's position from 0 (math-ai/aime25's ids),
  and responses are matched by prompt text.
Scoring: the last ``\\boxed{}`` after the thinking, else the last ``Answer:`` line, compared with math-verify
(``domains.math.verify``), as lighteval's and NeMo-Skills' math metrics do. The paper's scorer also gives 0 to
a response without a closing ``</think>``: that is ``mixmerge score --think-gate`` (results say whether it was on).
"""

from __future__ import annotations

from typing import Any

from domains.answers import last_boxed
from domains.base import Example, GenerationSettings, Suite
from domains.hub import hub_or_file_rows
from domains.loaders import Loaded
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)
PROMPT = "{problem}\nPlease reason step by step, and put your final answer within \\boxed{{}}."


def gold_answer(row: dict[str, Any]) -> tuple[str | None, str]:
    """The gold answer and where it came from: ``answer`` (or ``Answer``), else the ``\\boxed{}`` of ``solution``."""
    for f in ("answer", "Answer"):
        if row.get(f) is not None and str(row[f]).strip():
            return str(row[f]).strip(), f
    solution = row.get("solution", row.get("Solution"))
    boxed = last_boxed(solution) if isinstance(solution, str) else None
    return (boxed, "solution \\boxed{}") if boxed else (None, "")


def to_example(row: dict[str, Any], where: str, source: str, position: int) -> Example:
    if "choices" in row:
        raise UserError(f"{where}: field 'choices': this is a multiple-choice row, not a math problem (score it "
                        "with --suite mmlu-redux or mcq)")
    problem = row.get("problem", row.get("question", row.get("Problem")))
    answer, from_field = gold_answer(row)
    if not isinstance(problem, str) or answer is None:
        need = [f for f, ok in (("problem", isinstance(problem, str)), ("answer", answer is not None)) if not ok]
        raise UserError(f"{where}: a math row needs problem and answer (or a solution with \\boxed{{}}); missing "
                        f"{need} (got fields {sorted(row)[:8]})")
    rid = row.get("id", row.get("ID"))
    return {"id": str(position if rid is None else rid), "domain": "math",
            "messages": [{"role": "user", "content": PROMPT.format(problem=problem)}],
            "label": answer, "meta": {"source": source, "raw_prompt": problem, "gold_from": from_field,
                                      "id_from": "position" if rid is None else "id"}}


def _loader(name: str, hub_id: str | None, split: str = "train"):
    def load(path: str | None) -> Loaded:
        if path is None and hub_id is None:
            raise UserError(f"suite {name} has no hub data: pass --data FILE with {{id, problem, answer}} lines")
        rows = hub_or_file_rows(path, hub_id or "", split=split, suite=name)
        exs = [to_example(r, w, name, i) for i, (w, r) in enumerate(rows)]
        seen: dict[str, str] = {}
        for (w, _), ex in zip(rows, exs, strict=True):
            if ex["id"] in seen:
                raise UserError(f"{w}: id {ex['id']!r} repeats {seen[ex['id']]}")
            seen[ex["id"]] = w
        return Loaded(exs, {"n_loaded": len(rows), "n_kept": len(exs),
                            "gold_from": sorted({e["meta"]["gold_from"] for e in exs}),
                            "ids_from": sorted({e["meta"]["id_from"] for e in exs})})

    return load


def suites() -> dict[str, Suite]:
    from domains.math.micro import micro
    from domains.micro_suites import micro_suite

    out = [
        Suite("aime24", "math", _loader("aime24", "HuggingFaceH4/aime_2024"), k=16, generation=GEN, version="2",
              hub_id="HuggingFaceH4/aime_2024", description="AIME 2024, 30 problems, Avg@16 (also math-ai/aime24 files)"),
        Suite("aime25", "math", _loader("aime25", "math-ai/aime25", "test"), k=16, generation=GEN, version="2",
              hub_id="math-ai/aime25", description="AIME 2025, 30 problems, Avg@16 (files with or without id)"),
        Suite("math", "math", _loader("math", None), k=1, generation=GEN,
              description="your own problems: JSONL {id, problem, answer}; math-verify equivalence"),
        micro_suite("math", micro, 300, "generated modular arithmetic chains (last digit of a sum/product), \\boxed{} answers"),
    ]
    return {s.name: s for s in out}
