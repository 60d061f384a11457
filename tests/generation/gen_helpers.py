"""Shared by the generation tests (a uniquely named module: every test folder has a conftest)."""

import importlib.util
import os

import pytest

HAVE_VLLM = importlib.util.find_spec("vllm") is not None
# `nox -s vllm` sets this: there a missing vllm is a failure, never a skip.
REQUIRE_VLLM = os.environ.get("MIXMERGE_REQUIRE_VLLM") == "1"

LOCAL_BACKENDS = [
    "transformers",
    pytest.param("vllm", marks=pytest.mark.vllm),
]
