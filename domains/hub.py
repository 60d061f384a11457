"""Loading a benchmark from the hub (``datasets``) with one clear error when it cannot be reached."""

from __future__ import annotations

from typing import Any

from harness.errors import UserError


def load_hub_rows(hub_id: str, *, config: str | None = None, split: str = "test", suite: str = "") -> list[dict[str, Any]]:
    try:
        from datasets import load_dataset

        ds = load_dataset(hub_id, config, split=split) if config else load_dataset(hub_id, split=split)
    except Exception as e:  # noqa: BLE001 - offline / gated / renamed: one line, with the way out
        raise UserError(
            f"suite {suite or hub_id}: cannot load {hub_id}{'/' + config if config else ''} ({split}) from the hub "
            f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); download it and pass --data FILE "
            "in the benchmark's native format"
        ) from None
    return [dict(r) for r in ds]


def hub_or_file_rows(path: str | None, hub_id: str, *, config: str | None = None, split: str = "test",
                     suite: str = "") -> list[tuple[str, dict[str, Any]]]:
    """``(where, row)`` from ``path`` (any format ``domains.loaders.read_rows`` reads) or from the hub."""
    from domains.loaders import read_rows

    if path:
        return read_rows(path)
    where = f"{hub_id}{'/' + config if config else ''}:{split}"
    return [(f"{where}:row {i}", r) for i, r in enumerate(load_hub_rows(hub_id, config=config, split=split,
                                                                        suite=suite), 1)]
