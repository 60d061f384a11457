"""Model directories: find their tensors without loading them, and refuse to merge incompatible models.

``tensor_index`` reads only the safetensors headers (8-byte length + JSON), so checking four multi-GB
models costs milliseconds. ``check_compatible`` raises one ``UserError`` naming the first difference:
architecture, a shape-defining config field, the tokenizer vocabulary, or a tensor's name/shape.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError

# config.json fields that must agree for element-wise merging to mean anything
SHAPE_FIELDS = ("model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "head_dim", "vocab_size", "tie_word_embeddings")


@dataclass(frozen=True)
class TensorInfo:
    file: Path
    dtype: str
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n


def _header(file: Path) -> dict:
    with open(file, "rb") as fh:
        raw = fh.read(8)
        if len(raw) != 8:
            raise UserError(f"{file}: not a safetensors file (too short)")
        (n,) = struct.unpack("<Q", raw)
        try:
            return json.loads(fh.read(n))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise UserError(f"{file}: not a safetensors file (bad header)") from None


def model_dir(path: str | Path) -> Path:
    """A local HF model directory with config.json and safetensors weights, or one UserError."""
    p = Path(path).expanduser()
    if not p.is_dir():
        raise UserError(f"{p}: model directory not found")
    if not (p / "config.json").exists():
        raise UserError(f"{p}: no config.json (is this a Hugging Face model directory?)")
    if not list(p.glob("*.safetensors")):
        raise UserError(f"{p}: no *.safetensors weights (merging and analysis read safetensors only)")
    return p


def load_config(path: Path) -> dict:
    try:
        return json.loads((path / "config.json").read_text())
    except json.JSONDecodeError as e:
        raise UserError(f"{path / 'config.json'}: invalid JSON: {e}") from None


def tensor_index(path: str | Path) -> dict[str, TensorInfo]:
    """tensor name -> (file, dtype, shape), from the safetensors headers only."""
    p = model_dir(path)
    out: dict[str, TensorInfo] = {}
    for f in sorted(p.glob("*.safetensors")):
        for name, meta in _header(f).items():
            if name == "__metadata__":
                continue
            out[name] = TensorInfo(f, meta["dtype"], tuple(meta["shape"]))
    return out


def _vocab(path: Path) -> dict[str, int] | None:
    tj = path / "tokenizer.json"
    if tj.exists():
        data = json.loads(tj.read_text())
        vocab = dict(data.get("model", {}).get("vocab") or {})
        for tok in data.get("added_tokens", []):
            vocab[tok["content"]] = tok["id"]
        return vocab
    if (path / "tokenizer_config.json").exists():
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(path).get_vocab()
    return None


def check_compatible(base: str | Path, models: list[str | Path]) -> dict[str, TensorInfo]:
    """Raise UserError unless every model matches the base; return the base's tensor index."""
    b = model_dir(base)
    bcfg, bidx, bvocab = load_config(b), tensor_index(b), _vocab(b)
    barch = bcfg.get("architectures")
    if not barch:
        raise UserError(f"{b / 'config.json'}: no 'architectures' entry; mergekit needs it to know the tensor layout")
    for m in models:
        p = model_dir(m)
        cfg = load_config(p)
        if cfg.get("architectures") != barch:
            raise UserError(f"architecture mismatch: {p} is {cfg.get('architectures')}, base {b} is {barch}")
        vocab = _vocab(p)
        if vocab is not None and bvocab is not None and vocab != bvocab:
            diff = len(set(vocab.items()) ^ set(bvocab.items()))
            raise UserError(f"vocabulary mismatch: {p} ({len(vocab)} tokens) and base {b} ({len(bvocab)} tokens) "
                            f"differ in {diff} token ids; merged weights would mix unrelated tokens")
        for k in SHAPE_FIELDS:
            if cfg.get(k) != bcfg.get(k):
                raise UserError(f"config mismatch in {k!r}: {p} has {cfg.get(k)!r}, base {b} has {bcfg.get(k)!r}")
        idx = tensor_index(p)
        if set(idx) != set(bidx):
            extra = sorted(set(idx) ^ set(bidx))[:3]
            raise UserError(f"tensor names differ between {p} and base {b} (e.g. {', '.join(extra)})")
        for name, info in idx.items():
            if info.shape != bidx[name].shape:
                raise UserError(f"tensor {name}: shape {list(info.shape)} in {p} vs {list(bidx[name].shape)} in {b}")
    return bidx
