import os
from pathlib import Path

import pytest

EXTERNAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "external"
os.environ.setdefault("NLTK_DATA", str((EXTERNAL / "nltk_data").resolve()))


@pytest.fixture(scope="session")
def openrlhf_source() -> Path:
    """The pinned release's package source (pip download --no-deps, cached under ~/.cache/mixmerge/)."""
    from harness.train.openrlhf import pinned

    return pinned.release_source()
