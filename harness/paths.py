"""Where the project finds public data files that it does not ship (IFEval, IFBench, HumanEval, NLTK data).

``$MIXMERGE_EXTERNAL`` if set, else ``../shared/external`` beside the checkout (how tests and CI find them).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def external_dir() -> Path:
    env = os.environ.get("MIXMERGE_EXTERNAL")
    return Path(env) if env else REPO.parent / "shared" / "external"


def expand_external(path: str) -> str:
    """``path`` with ``${MIXMERGE_EXTERNAL}`` replaced by the external data folder: how a recipe names the shared
    public files machine-independently (``eval.data``, ``data.<domain>.source: nemotron:...``)."""
    return path.replace("${MIXMERGE_EXTERNAL}", str(external_dir()))


def default_nltk_data() -> None:
    """Point NLTK at the external folder's nltk_data when the user has not chosen one and it exists."""
    if "NLTK_DATA" not in os.environ and (external_dir() / "nltk_data").is_dir():
        os.environ["NLTK_DATA"] = str(external_dir() / "nltk_data")
