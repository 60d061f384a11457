"""Reading example files: JSONL (optionally gzipped) with errors that name file:line."""

from __future__ import annotations

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
