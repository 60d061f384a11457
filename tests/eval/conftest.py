import os
from pathlib import Path

import pytest

from harness.model.build import tiny_model_dir

NLTK = Path(__file__).resolve().parents[2] / ".." / "shared" / "external" / "nltk_data"
if NLTK.exists():
    os.environ.setdefault("NLTK_DATA", str(NLTK.resolve()))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return tiny_model_dir(tmp_path_factory.mktemp("eval") / "tiny", seed=0, hidden_size=64, head_dim=32)
