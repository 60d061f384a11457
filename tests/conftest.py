"""Suite-wide fixtures: where the shared public data lives, NLTK data offline, and the CI rule for engines:
in CI (CI=true) a test that needs an engine fails when it is missing; elsewhere it skips with one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = Path(os.environ.get("MIXMERGE_EXTERNAL", ROOT.parent / "shared" / "external"))
os.environ.setdefault("NLTK_DATA", str(EXTERNAL / "nltk_data"))
os.environ.setdefault("MIXMERGE_EXTERNAL", str(EXTERNAL))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see harness/cli.py
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(ok: bool, what: str) -> None:
    """Skip (locally) or fail (in CI) when a needed engine/tool is missing."""
    if ok:
        return
    if in_ci():
        pytest.fail(f"CI needs {what}", pytrace=False)
    pytest.skip(f"missing: {what}")


@pytest.fixture(scope="session")
def external() -> Path:
    require(EXTERNAL.exists(), f"the shared public data at {EXTERNAL}")
    return EXTERNAL
