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


@pytest.fixture(scope="session")
def release_executor(openrlhf_source):
    """OpenRLHF 0.11.2's own ``SingleTurnAgentExecutor`` (utils/agent.py), compiled from the release source.

    Only the two class definitions are executed, with the standard-library names they use; the module's
    ``aiohttp`` import (HTTP reward servers only) and logging setup are not needed by the file-function path.
    """
    import ast
    import asyncio
    import logging
    from copy import deepcopy
    from itertools import cycle

    path = openrlhf_source / "utils" / "agent.py"
    tree = ast.parse(path.read_text())
    keep = [n for n in tree.body if isinstance(n, ast.ClassDef)
            and n.name in ("AgentExecutorBase", "SingleTurnAgentExecutor")]
    from abc import ABC, abstractmethod

    ns = {"asyncio": asyncio, "deepcopy": deepcopy, "cycle": cycle, "ABC": ABC, "abstractmethod": abstractmethod,
          "logger": logging.getLogger("openrlhf.agent")}
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), ns)
    return ns["SingleTurnAgentExecutor"]
