"""Tiny real models for merge tests: a random tiny Qwen3 base and 'fine-tunes' = base + seeded noise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from harness.model.build import tiny_model_dir


def load_weights(model_dir: Path) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for f in sorted(Path(model_dir).glob("*.safetensors")):
        out.update(load_file(f))
    return out


def finetune(base: Path, out: Path, seed: int, scale: float = 0.02) -> Path:
    """Copy ``base`` and add seeded Gaussian noise to every tensor (a stand-in for an RL update)."""
    shutil.copytree(base, out)
    g = torch.Generator().manual_seed(seed)
    for f in sorted(out.glob("*.safetensors")):
        sd = load_file(f)
        sd = {k: (v + scale * torch.randn(v.shape, generator=g, dtype=v.dtype)).contiguous() for k, v in sd.items()}
        save_file(sd, f, metadata={"format": "pt"})
    return out


@pytest.fixture(scope="session")
def tiny_family(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("family")
    base = tiny_model_dir(root / "base", seed=0)
    models = {f"m{i}": finetune(base, root / f"m{i}", seed=10 + i) for i in range(3)}
    return {"base": base, **models}


@pytest.fixture(scope="session")
def weights():
    """``weights(model_dir)`` -> every tensor of a model directory."""
    return load_weights


@pytest.fixture(scope="session")
def make_finetune():
    """``make_finetune(base, out, seed)`` -> a noisy copy of ``base``."""
    return finetune
