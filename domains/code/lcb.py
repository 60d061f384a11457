"""LiveCodeBench code generation: release files, date windows, rows -> examples, as ``lcb_runner`` reads them.

Sources (LiveCodeBench/LiveCodeBench at 28fef95): ``lcb_runner/benchmarks/code_generation.py`` (``CG:n``) and the
hub dataset's loader script (``livecodebench/code_generation_lite``, ``code_generation_lite.py``: release files).

- Release files: ``release_vN`` is every file up to it, ``test.jsonl``, ``test2.jsonl`` ... ``testN.jsonl``;
  ``vN`` is ``testN.jsonl`` alone (the problems new in that release). ``--data`` may name one file, a directory
  holding the release's files, or several files separated by commas. Without ``--data`` the files are fetched
  from the hub repo ``livecodebench/code_generation_lite`` with ``huggingface_hub`` (the dataset is script-based
  and ``datasets`` >= 4 cannot load it).
- Date window: inclusive, ``start <= contest_date <= end`` with the bounds at 00:00 (CG:127-133).
- Tests: public then private (CG:108-119); private tests are a JSON string, else base64(zlib(pickle(JSON)))
  (CG:64-72; the pickle is read by an unpickler that refuses every global, so it yields plain values only).
  A problem is call-based when ``metadata.func_name`` is set (CG:118; testing_util.py:449-455).
- The window of each suite is a field of ``LCBWindow`` (defaults in ``LCB_WINDOWS``, documented there); the
  paper does not state its windows.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import re
import sys
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from domains.base import Example
from domains.loaders import iter_jsonl_lines
from harness.errors import UserError

LCB_HUB = "livecodebench/code_generation_lite"
LCB_STDIN = ("You will be given a question (problem specification) and will generate a correct Python program that "
             "matches the specification and passes all tests. Read the inputs from stdin and write the answer to "
             "stdout.\n\nQuestion: {q}\n\nWrite your code in a ```python block.")
LCB_CALL = ("You will be given a question (problem specification) and will generate a correct Python program that "
            "matches the specification and passes all tests.\n\nQuestion: {q}\n\nUse this starter code and write "
            "your solution in a ```python block:\n```python\n{starter}\n```")


def release_files(tag: str) -> list[str]:
    """The hub files of ``tag``: ``release_vN`` -> test.jsonl .. testN.jsonl, ``vN`` -> testN.jsonl."""
    if tag == "release_latest":  # the loader script's alias of the newest cumulative release
        tag = "release_v6"
    m = re.fullmatch(r"(release_)?v([1-9][0-9]*)", tag)
    if not m:
        raise UserError(f"LiveCodeBench release {tag!r}: expected release_vN (cumulative) or vN (one file)")
    n = int(m.group(2))
    name = lambda i: "test.jsonl" if i == 1 else f"test{i}.jsonl"  # noqa: E731
    return [name(i) for i in range(1, n + 1)] if m.group(1) else [name(n)]


@dataclass(frozen=True)
class LCBWindow:
    """One LiveCodeBench evaluation window: the release files it reads and its inclusive contest-date range."""

    release: str  # "release_vN" (test.jsonl .. testN.jsonl) or "vN" (testN.jsonl)
    start: date | None  # None: no bound
    end: date | None
    why: str = ""  # where the window comes from

    def __post_init__(self) -> None:
        release_files(self.release)  # a bad tag fails where the window is declared
        if self.start and self.end and self.start > self.end:
            raise UserError(f"LiveCodeBench window {self.release}: start {self.start} is after end {self.end}")

    def describe(self) -> str:
        if self.start is None and self.end is None:
            return f"{self.release}, every contest date"
        return f"{self.release}, contests {self.start or '...'} to {self.end or '...'} inclusive"


# The paper does not state its windows; these are the ones the harnesses it compares with report.
LCB_WINDOWS: dict[str, LCBWindow] = {
    "lcb-v5": LCBWindow("release_v5", date(2024, 8, 1), date(2025, 2, 1),
                        "NeMo-Skills' livecodebench v5 split (279 problems)"),
    "lcb-v6": LCBWindow("release_v6", date(2025, 2, 1), date(2025, 5, 1),
                        "Qwen3's LiveCodeBench v6 window 2025.02-2025.05"),
    # every problem new in release_v6: M2RL's LCB-v6 figures are multiples of 1/350 = 175 problems x 2 samples
    "lcb-v6-new": LCBWindow("v6", None, None, "all of test6.jsonl, 175 problems"),
}


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")


def decode_tests(blob: Any, where: str, field: str) -> list[dict[str, Any]]:
    """A test-case field: a list, a JSON string, or base64(zlib(pickle(JSON string))) (CG:64-72)."""
    if isinstance(blob, list):
        tests = blob
    elif not blob:
        return []
    else:
        try:
            tests = json.loads(blob)
        except (TypeError, ValueError):
            try:
                raw = _NoGlobals(io.BytesIO(zlib.decompress(base64.b64decode(blob, validate=True)))).load()
                tests = json.loads(raw)
            except Exception as e:  # noqa: BLE001 - any undecodable blob: one line naming the field
                raise UserError(f"{where}: field {field}: neither JSON nor base64(zlib(pickle(JSON))) "
                                f"({type(e).__name__}: {str(e)[:80]})") from None
    if not isinstance(tests, list) or not all(isinstance(t, dict) and "input" in t and "output" in t for t in tests):
        raise UserError(f"{where}: field {field}: expected a list of {{input, output, testtype}} objects")
    return tests


def contest_date(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise UserError(f"{where}: field contest_date: {value!r} is not an ISO date") from None


def lcb_example(row: dict[str, Any], where: str, source: str) -> Example:
    for f in ("question_id", "question_content", "public_test_cases"):
        if f not in row:
            raise UserError(f"{where}: a LiveCodeBench row needs field {f!r} (is this a LiveCodeBench file?)")
    tests = (decode_tests(row["public_test_cases"], where, "public_test_cases")
             + decode_tests(row.get("private_test_cases"), where, "private_test_cases"))
    meta = row.get("metadata") or {}
    try:
        meta = json.loads(meta) if isinstance(meta, str) else meta
    except ValueError:
        raise UserError(f"{where}: field metadata: not JSON") from None
    fn = meta.get("func_name") if isinstance(meta, dict) else None
    q, starter = row["question_content"], row.get("starter_code") or ""
    kinds = {t.get("testtype") for t in tests}
    if fn:
        label: dict[str, Any] = {"format": "functional", "fn_name": fn}
        prompt = LCB_CALL.format(q=q, starter=starter)
    elif "functional" in kinds:
        raise UserError(f"{where}: field metadata.func_name: missing for a call-based (functional) problem")
    else:
        label = {"format": "stdio"}
        prompt = LCB_STDIN.format(q=q)
    label["tests"] = [{"input": t["input"], "output": t["output"]} for t in tests]
    label["extract"] = "lcb"  # the code is taken as lcb_runner takes it (domains/code/verify.py)
    d = contest_date(row.get("contest_date"), where) if row.get("contest_date") is not None else None
    return {"id": str(row["question_id"]), "domain": "code", "messages": [{"role": "user", "content": prompt}],
            "label": label, "meta": {"source": source, "raw_prompt": q, "contest_date": d.isoformat() if d else None,
                                     "difficulty": row.get("difficulty"), "platform": row.get("platform")}}


def data_files(spec: str, window: LCBWindow) -> list[Path]:
    """The files ``--data`` names: one file, several (comma-separated), or a directory with the release's files."""
    paths = [Path(p.strip()) for p in spec.split(",") if p.strip()]
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            wanted = release_files(window.release)
            found = [p / f for f in wanted if (p / f).is_file() or (p / (f + ".gz")).is_file()]
            found = [f if f.is_file() else f.with_name(f.name + ".gz") for f in found]
            if not found:
                raise UserError(f"--data {p}: a directory for {window.release} must hold {', '.join(wanted)}; "
                                "none is there")
            missing = [f for f in wanted if not (p / f).is_file() and not (p / (f + ".gz")).is_file()]
            if missing:
                print(f"note: {p} lacks {', '.join(missing)} of {window.release}; reading the others",
                      file=sys.stderr)
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise UserError(f"--data {p}: no such file or directory")
    return out


def hub_files(window: LCBWindow, suite: str) -> list[Path]:
    try:
        from huggingface_hub import hf_hub_download

        return [Path(hf_hub_download(LCB_HUB, f, repo_type="dataset")) for f in release_files(window.release)]
    except Exception as e:  # noqa: BLE001 - offline / renamed: one line with the way out
        raise UserError(f"suite {suite}: cannot fetch {LCB_HUB} {window.release} files ({type(e).__name__}: "
                        f"{str(e).splitlines()[0][:120] if str(e) else ''}); download "
                        f"{', '.join(release_files(window.release))} from the dataset repo and pass --data DIR") from None


def load_window(name: str, window: LCBWindow, spec: str | None) -> list[Example]:
    """The problems of ``window`` from ``spec`` (see ``data_files``) or the hub; prints how many."""
    files = data_files(spec, window) if spec else hub_files(window, name)
    lo = datetime.combine(window.start or date.min, datetime.min.time())
    hi = datetime.combine(window.end, datetime.min.time()) if window.end else datetime.max
    out: list[Example] = []
    seen: set[str] = set()
    for path in files:
        for lineno, row in iter_jsonl_lines(path):
            where = f"{path}:{lineno}"
            if "contest_date" not in row:
                raise UserError(f"{where}: a LiveCodeBench row needs field 'contest_date' (is this a LiveCodeBench file?)")
            if lo <= contest_date(row["contest_date"], where) <= hi and str(row.get("question_id")) not in seen:
                ex = lcb_example(row, where, name)
                seen.add(ex["id"])
                out.append(ex)
    print(f"{name}: {len(out)} problems ({window.describe()}) from {', '.join(str(f) for f in files)}",
          file=sys.stderr)
    return out


def lcb_loader(name: str, window: LCBWindow):
    return lambda spec: load_window(name, window, spec)
