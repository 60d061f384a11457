import os
from pathlib import Path

import pytest

EXTERNAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "external"
os.environ.setdefault("NLTK_DATA", str((EXTERNAL / "nltk_data").resolve()))


@pytest.fixture(scope="session")
def external() -> Path:
    if not EXTERNAL.is_dir():
        pytest.fail(f"{EXTERNAL} is missing: tests need ../shared/external beside the repository")
    return EXTERNAL.resolve()
