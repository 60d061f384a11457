"""Code suites: LiveCodeBench v5 / v6 (date windows), HumanEval (hub or native JSONL), micro-code.

LiveCodeBench rows (``livecodebench/code_generation_lite``): ``question_id``, ``question_content``,
``starter_code``, ``public_test_cases`` (JSON list of {input, output, testtype}), ``private_test_cases``
(JSON, or base64 of zlib of a pickled JSON string), ``metadata`` (JSON with ``func_name`` for call-based
problems), ``contest_date``. Public + private tests are all run. The private blob is unpickled with an
unpickler that refuses every global, so it can only yield plain strings/containers.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from datetime import date, datetime
from typing import Any

from domains.base import Example, GenerationSettings, Suite
from domains.hub import load_hub_rows
from domains.loaders import read_jsonl
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)
LCB_HUB = "livecodebench/code_generation_lite"
# (version tag, first contest date, last contest date): the windows papers usually score (state them)
LCB_WINDOWS = {"lcb-v5": ("release_v5", date(2024, 8, 1), date(2025, 2, 1)),
               "lcb-v6": ("release_v6", date(2025, 2, 1), date(2025, 5, 1))}
LCB_STDIN = ("You will be given a question (problem specification) and will generate a correct Python program that "
             "matches the specification and passes all tests. Read the inputs from stdin and write the answer to "
             "stdout.\n\nQuestion: {q}\n\nWrite your code in a ```python block.")
LCB_CALL = ("You will be given a question (problem specification) and will generate a correct Python program that "
            "matches the specification and passes all tests.\n\nQuestion: {q}\n\nUse this starter code and write "
            "your solution in a ```python block:\n```python\n{starter}\n```")


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ARG002
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")


def decode_tests(blob: Any, where: str) -> list[dict[str, Any]]:
    if isinstance(blob, list):
        return blob
    if not blob:
        return []
    try:
        return json.loads(blob)
    except (TypeError, ValueError):
        pass
    try:
        raw = _NoGlobals(io.BytesIO(zlib.decompress(base64.b64decode(blob)))).load()
        return json.loads(raw)
    except Exception as e:  # noqa: BLE001
        raise UserError(f"{where}: cannot decode test cases ({type(e).__name__}: {e})") from None


def _contest_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)[:19]).date()
    except ValueError:
        return None


def lcb_example(row: dict[str, Any], where: str, source: str) -> Example:
    try:
        tests = decode_tests(row["public_test_cases"], where) + decode_tests(row.get("private_test_cases"), where)
        meta = row.get("metadata") or {}
        meta = json.loads(meta) if isinstance(meta, str) else meta
        starter = row.get("starter_code") or ""
        q = row["question_content"]
        rid = str(row["question_id"])
    except KeyError as e:
        raise UserError(f"{where}: a LiveCodeBench row needs field {e.args[0]!r}") from None
    functional = bool(tests) and tests[0].get("testtype") == "functional"
    if functional:
        label: dict[str, Any] = {"format": "functional", "fn_name": meta.get("func_name"),
                                 "tests": [{"input": t["input"], "output": t["output"]} for t in tests]}
        if not label["fn_name"]:
            raise UserError(f"{where}: call-based problem without metadata.func_name")
        prompt = LCB_CALL.format(q=q, starter=starter)
    else:
        label = {"format": "stdio", "tests": [{"input": t["input"], "output": t["output"]} for t in tests]}
        prompt = LCB_STDIN.format(q=q)
    d = _contest_date(row.get("contest_date"))
    return {"id": rid, "domain": "code", "messages": [{"role": "user", "content": prompt}], "label": label,
            "meta": {"source": source, "raw_prompt": q, "contest_date": d.isoformat() if d else None,
                     "difficulty": row.get("difficulty"), "platform": row.get("platform")}}


def _lcb_loader(name: str):
    tag, start, end = LCB_WINDOWS[name]

    def load(path: str | None) -> list[Example]:
        rows = read_jsonl(path) if path else load_hub_rows(LCB_HUB, config=tag, suite=name)
        out = []
        for i, r in enumerate(rows, 1):
            d = _contest_date(r.get("contest_date"))
            if d is not None and start <= d < end:
                out.append(lcb_example(r, f"{path or LCB_HUB}:{i}", name))
        return out

    return load


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


def suites() -> dict[str, Suite]:
    from domains.code.micro import micro
    from domains.micro_suites import micro_suite

    out = [
        *[Suite(n, "code", _lcb_loader(n), k=4, generation=GEN, id_field="question_id", hub_id=LCB_HUB,
                description=f"LiveCodeBench {LCB_WINDOWS[n][0]}, contests {LCB_WINDOWS[n][1]} to {LCB_WINDOWS[n][2]} "
                            "(exclusive), public + private tests") for n in LCB_WINDOWS],
        Suite("humaneval", "code", load_humaneval, k=1, generation=GEN, id_field="task_id",
              hub_id="openai/openai_humaneval", description="HumanEval, 164 problems, check(candidate) in the sandbox"),
        micro_suite("code", micro, 200, "generated list-processing functions from a spec, run against tests in the sandbox"),
    ]
    return {s.name: s for s in out}
