"""Code suites: LiveCodeBench v5 / v6 (release files, inclusive date windows), HumanEval (hub or native JSONL),
micro-code.

LiveCodeBench loading and its rules live in ``domains/code/lcb.py`` (the windows: ``LCB_WINDOWS``); scoring as
``lcb_runner`` scores in ``harness/sandbox/driver.py``.
"""

from __future__ import annotations

from typing import Any

from domains.base import Example, GenerationSettings, Suite
from domains.code.lcb import LCB_HUB, LCB_WINDOWS, LCBWindow, lcb_loader
from domains.hub import load_hub_rows
from domains.loaders import read_jsonl
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)


def humaneval_example(row: dict[str, Any], where: str) -> Example:
    try:
        prompt, test, entry = row["prompt"], row["test"], row["entry_point"]
        rid = str(row["task_id"])
    except KeyError as e:
        raise UserError(f"{where}: a HumanEval row needs field {e.args[0]!r}") from None
    text = f"Complete the following Python function. Write the whole function in a ```python block.\n\n{prompt}"
    return {"id": rid, "domain": "code", "messages": [{"role": "user", "content": text}],
            "label": {"format": "humaneval", "prompt": prompt, "test": test, "entry_point": entry},
            "meta": {"source": "humaneval", "raw_prompt": prompt, "canonical_solution": row.get("canonical_solution")}}


def load_humaneval(path: str | None) -> list[Example]:
    rows = read_jsonl(path) if path else load_hub_rows("openai/openai_humaneval", suite="humaneval")
    return [humaneval_example(r, f"{path or 'openai/openai_humaneval'}:{i}") for i, r in enumerate(rows, 1)]


def lcb_suite(name: str, window: LCBWindow) -> Suite:
    """The LiveCodeBench suite ``name`` over ``window`` (a recipe's ``eval.lcb_windows`` builds its own)."""
    return Suite(name, "code", lcb_loader(name, window), k=4, generation=GEN, id_field="question_id", hub_id=LCB_HUB,
                 description=f"LiveCodeBench {window.describe()} ({window.why}); public + private tests, scored as "
                 "lcb_runner", version="2")


def suites() -> dict[str, Suite]:
    from domains.code.micro import micro
    from domains.micro_suites import micro_suite

    out = [
        *[lcb_suite(n, w) for n, w in LCB_WINDOWS.items()],
        Suite("humaneval", "code", load_humaneval, k=1, generation=GEN, id_field="task_id",
              hub_id="openai/openai_humaneval", description="HumanEval, 164 problems, check(candidate) in the sandbox"),
        micro_suite("code", micro, 200, "generated list-processing functions from a spec, run against tests in the sandbox"),
    ]
    return {s.name: s for s in out}
