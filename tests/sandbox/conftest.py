"""Fixtures: a warm pool per backend. Without an engine/bwrap: skip with one line; in CI: fail (tests/need.py)."""

from __future__ import annotations

import os

import pytest

try:
    from need import need
except ModuleNotFoundError:  # imported as tests.sandbox.* by a helper process (test_pool), tests/ not on sys.path
    from tests.need import need

from harness.sandbox import Limits, get_sandbox

IMAGE = os.environ.get("MIXMERGE_SANDBOX_IMAGE", "mixmerge-sandbox:latest")
TEST_LIMITS = Limits(timeout_s=3, cpu_s=3, memory_mb=256, pids=32, output_bytes=1 << 20, tmpfs_mb=16)
BACKENDS = [pytest.param("bwrap", marks=pytest.mark.bwrap), pytest.param("docker", marks=pytest.mark.engine)]


def missing(backend: str) -> str | None:
    """Why ``backend`` cannot run here (one line), or None."""
    if backend == "bwrap":
        from harness.sandbox.bwrap import bwrap_usable

        return bwrap_usable()
    from harness.sandbox.docker_backend import engine_error
    from harness.sandbox.image import image_present

    err = engine_error()
    if err:
        return err
    if not image_present(IMAGE):
        return f"image {IMAGE} missing (mixmerge sandbox build)"
    return None


def require(backend: str) -> None:
    why = missing(backend)
    need(None if why is None else f"the {backend} sandbox: {why}")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    require(request.param)
    return request.param


@pytest.fixture(scope="session")
def sandbox(backend):
    with get_sandbox(backend, limits=TEST_LIMITS, workers=2, image=IMAGE) as sb:
        yield sb
