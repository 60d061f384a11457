"""The one rule for what a test needs and the checkout does not ship (an engine, a tool, a shared data file).

In CI (``CI`` is 1/true/yes) a missing need fails the test; elsewhere it skips with one line naming it. Every test
goes through ``need`` / ``external_file`` (never its own ``pytest.skip``), and ``.ci/run`` fails on any skip
that is not on ``.ci/allowed-skips.txt``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.paths import external_dir


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def need(why_missing: str | None) -> None:
    """``why_missing`` is None when the need is met, else one line saying what is missing."""
    if why_missing is None:
        return
    if in_ci():
        pytest.fail(f"CI needs {why_missing}", pytrace=False)
    pytest.skip(f"missing: {why_missing}")


def external_file(relative: str) -> Path:
    """A file of the shared public data (``$MIXMERGE_EXTERNAL``, else ../shared/external), or skip/fail."""
    path = external_dir() / relative
    need(None if path.exists() else f"{path} (the shared public data; set MIXMERGE_EXTERNAL)")
    return path


def shared_file(relative: str) -> Path:
    """A file of ../shared beside the external folder (the stored paper tables in shared/reference)."""
    path = external_dir().parent / relative
    need(None if path.exists() else f"{path} (../shared beside the checkout, or MIXMERGE_EXTERNAL's parent)")
    return path
