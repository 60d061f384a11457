"""Reading example files: JSONL (optionally gzipped) with errors that name file:line."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import UserError


def iter_jsonl(path: str | Path, *, skip_bad: bool = False, bad: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Yield one dict per non-blank line; a malformed line raises ``file:line: ...`` unless ``skip_bad``
    (then its ``file:line`` is appended to ``bad``)."""
    for _, row in iter_jsonl_lines(path, skip_bad=skip_bad, bad=bad):
        yield row


def iter_jsonl_lines(path: str | Path, *, skip_bad: bool = False,
                     bad: list[str] | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, row)`` pairs; see ``iter_jsonl``."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: no such file")
    opener = gzip.open if p.name.endswith(".gz") else open
    try:
        with opener(p, "rt", encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    if not isinstance(row, dict):
                        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
                except ValueError as e:
                    if skip_bad:
                        if bad is not None:
                            bad.append(f"{p}:{lineno}")
                        continue
                    raise UserError(f"{p}:{lineno}: malformed line ({e})") from None
                yield lineno, row
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise UserError(f"{p}: cannot read ({e})") from None


def read_jsonl(path: str | Path, **kw: Any) -> list[dict[str, Any]]:
    return list(iter_jsonl(path, **kw))


def iter_csv_lines(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(first line of the record, row)`` per CSV record (the stdlib ``csv`` reader: quoted fields may span
    lines, as GPQA's official CSV's do). A record with more or fewer fields than the header is an error."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: no such file")
    opener = gzip.open if p.name.endswith(".gz") else open
    try:
        with opener(p, "rt", encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, restkey=_EXTRA, restval=_MISSING)
            start = 2
            for row in reader:
                if _EXTRA in row or _MISSING in row.values():
                    raise UserError(f"{p}:{start}: malformed CSV record ({len(reader.fieldnames or [])} header "
                                    "fields, the record has a different number)")
                yield start, row
                start = reader.line_num + 1
    except csv.Error as e:
        raise UserError(f"{p}: cannot read as CSV ({e})") from None
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise UserError(f"{p}: cannot read ({e})") from None


_EXTRA, _MISSING = "\0extra", "\0missing"
TABLE_FORMATS = ".jsonl, .jsonl.gz, .csv, .json (a list of objects), .parquet"


def read_rows(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """``(file:line, row)`` for a benchmark file in any of TABLE_FORMATS (parquet and JSON rows are numbered
    from 1 as records). Errors name the file and line."""
    p = Path(path)
    name = p.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return [(f"{p}:{n}", r) for n, r in iter_csv_lines(p)]
    if name.endswith(".parquet"):
        if not p.is_file():
            raise UserError(f"{p}: no such file")
        try:
            import pyarrow.parquet as pq

            rows = pq.read_table(p).to_pylist()
        except Exception as e:  # noqa: BLE001 - an unreadable parquet file: one line
            raise UserError(f"{p}: cannot read as parquet ({type(e).__name__}: {e})") from None
        return [(f"{p}:row {i}", r) for i, r in enumerate(rows, 1)]
    if name.endswith(".json"):
        if not p.is_file():
            raise UserError(f"{p}: no such file")
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            raise UserError(f"{p}: cannot read as JSON ({e})") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise UserError(f"{p}: a .json benchmark file must be a list of objects (or use JSONL: one per line)")
        return [(f"{p}:row {i}", r) for i, r in enumerate(data, 1)]
    return [(f"{p}:{n}", r) for n, r in iter_jsonl_lines(p)]


class Loaded(list):
    """A suite's examples plus ``notes``: what its loader kept and dropped, and by which rule. Scoring copies
    the notes into the results so each figure says which set it was computed on."""

    def __init__(self, examples: list[dict[str, Any]], notes: dict[str, Any]):
        super().__init__(examples)
        self.notes = notes
