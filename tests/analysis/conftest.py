"""Tiny real models whose task vectors have known geometry, and eval sample files with known outcomes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from harness.model.build import tiny_model_dir


def with_delta(base: Path, out: Path, delta_fn) -> Path:
    """Copy ``base`` to ``out`` with every tensor t replaced by t + delta_fn(name, t)."""
    shutil.copytree(base, out)
    for f in sorted(out.glob("*.safetensors")):
        sd = load_file(f)
        save_file({k: (v + delta_fn(k, v)).contiguous() for k, v in sd.items()}, f, metadata={"format": "pt"})
    return out


def noise(seed: int, scale: float = 0.01):
    def fn(name: str, t: torch.Tensor) -> torch.Tensor:
        g = torch.Generator().manual_seed(seed * 7919 + sum(map(ord, name)))
        return scale * torch.randn(t.shape, generator=g)

    return fn


@pytest.fixture(scope="session")
def geometry(tmp_path_factory) -> dict[str, Path]:
    """base; a = common + own noise; b = common + other noise (cos ~ 0.5); neg = -Δa; indep = fresh noise."""
    root = tmp_path_factory.mktemp("geometry")
    base = tiny_model_dir(root / "base", seed=0)
    common, na, nb = noise(1), noise(2), noise(3)
    return {
        "base": base,
        "a": with_delta(base, root / "a", lambda k, t: common(k, t) + na(k, t)),
        "b": with_delta(base, root / "b", lambda k, t: common(k, t) + nb(k, t)),
        "neg": with_delta(base, root / "neg", lambda k, t: -(common(k, t) + na(k, t))),
        "indep": with_delta(base, root / "indep", noise(4)),
    }


def write_samples(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def samples_writer():
    return write_samples
