"""Suite-wide fixtures: where the shared public data lives, NLTK data offline. The CI rule for a missing engine,
tool or data file (fail in CI, skip with one line elsewhere) is tests/need.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from need import need

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = Path(os.environ.get("MIXMERGE_EXTERNAL", ROOT.parent / "shared" / "external"))
os.environ.setdefault("NLTK_DATA", str(EXTERNAL / "nltk_data"))
os.environ.setdefault("MIXMERGE_EXTERNAL", str(EXTERNAL))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see harness/cli.py
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def external() -> Path:
    need(None if EXTERNAL.exists() else f"the shared public data at {EXTERNAL}")
    return EXTERNAL
