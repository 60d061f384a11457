"""The six merge methods computed in row blocks, for models whose tensors do not fit in memory five times.

Why not mergekit here: mergekit 0.1.5 (read in ``mergekit/graph.py``, ``io/lazy_tensor_loader.py``,
``io/tensor_writer.py``, ``sparsify.py``) executes a merge *tensor by tensor*: each input tensor is read
whole from its memory-mapped shard and converted to the compute dtype, the method's scratch comes on top
(TIES argsorts every task vector: int64 indices, 8 bytes per entry), and the output is buffered shard by
shard (``out_shard_size``) and serialised from memory. Its memory options cannot bound that:
``lazy_unpickle`` only concerns pickled ``.bin`` files, ``low_cpu_memory`` keeps values on an accelerator,
``out_shard_size`` only caps the output buffer. On Qwen3-1.7B the 152k-token embedding alone, five inputs in
float32, is 1.8x one bf16 model. So for full-size models this module computes the same arithmetic
(mergekit's, per tensor: the same top-k, Bernoulli drop, L1 rescale, sign election, SCE selection and
weights) a block of rows at a time, and writes each block straight into its place in the output file.

Exactly as mergekit per tensor, except: (1) TIES and SCE keep every entry tied with the k-th largest value
(mergekit's sort keeps an arbitrary k of them; with float deltas ties are rare); (2) DARE's random drop uses
its own seeded stream (per seed, tensor and model), so a seed gives other masks than mergekit's. Per-tensor
statistics (the top-k threshold, the L1 norms, SCE's variance threshold and weights) are computed exactly
in extra passes over the blocks: the k-th largest value by a two-level radix select over the float32 bit
patterns (16-bit histograms), which needs no copy of the tensor. ``tests/merge`` checks both engines
against the same independent computations.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from safetensors import safe_open

from harness.merge.checks import TensorInfo, tensor_index
from harness.merge.methods import Method, get_method

BLOCK_ELEMS = 1 << 22  # entries per input block: 16 MiB in float32; scratch is ~12 blocks per model
ST_DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}
TORCH_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def _ranges(shape: tuple[int, ...], block_elems: int) -> list[tuple[int, int]]:
    """Row ranges [a, b) along dim 0 holding about ``block_elems`` entries each (one range for a scalar)."""
    if not shape:
        return [(0, 1)]
    row = 1
    for s in shape[1:]:
        row *= s
    step = max(1, block_elems // max(row, 1))
    return [(a, min(a + step, shape[0])) for a in range(0, shape[0], step)]


def _read(info: TensorInfo, name: str, a: int, b: int, dtype: torch.dtype) -> torch.Tensor:
    """Rows a:b of one tensor. The shard is opened per read so no mapping of a whole shard stays resident."""
    with safe_open(info.file, framework="pt") as f:
        t = f.get_tensor(name).reshape(1) if not info.shape else f.get_slice(name)[a:b]
    return t.to(dtype)


def kth_largest(blocks: Callable[[], Iterator[list[torch.Tensor]]], k: int) -> list[float]:
    """For each of several streams of non-negative float32 blocks, its k-th largest value (exact, two passes).

    ``blocks()`` yields, per block, one tensor per stream. Non-negative floats order like their int32 bit
    patterns: a histogram of the high 16 bits finds the bucket holding the k-th value, a histogram of the
    low 16 bits inside that bucket finds the value itself.
    """
    def top(hist: torch.Tensor, k: int) -> tuple[int, int]:  # (bucket, rank left inside it)
        above = hist.flip(0).cumsum(0)  # above[j]: entries in buckets >= 65535 - j
        j = int(torch.searchsorted(above, torch.tensor(k)))
        return (1 << 16) - 1 - j, k - (int(above[j - 1]) if j else 0)

    hi: list[torch.Tensor] = []
    for xs in blocks():
        hi = hi or [torch.zeros(1 << 16, dtype=torch.int64) for _ in xs]
        for h, x in zip(hi, xs, strict=True):
            h += torch.bincount((x.reshape(-1).view(torch.int32) >> 16).long(), minlength=1 << 16)
    tops = [top(h, k) for h in hi]
    lo = [torch.zeros(1 << 16, dtype=torch.int64) for _ in hi]
    for xs in blocks():
        for h, (bucket, _), x in zip(lo, tops, xs, strict=True):
            bits = x.reshape(-1).view(torch.int32)
            h += torch.bincount((bits[(bits >> 16) == bucket] & 0xFFFF).long(), minlength=1 << 16)
    out = []
    for h, (bucket, rest) in zip(lo, tops, strict=True):
        low, _ = top(h, rest)
        out.append(torch.tensor([(bucket << 16) | low], dtype=torch.int32).view(torch.float32).item())
    return out


class StreamWriter:
    """Safetensors shards written block by block at their final offsets (the header is known up front).

    Hand-written because safetensors' Python API serialises a whole shard from memory and has no
    incremental writer; the format is an 8-byte header length, a JSON header, then the raw bytes.
    """

    def __init__(self, out: Path, tensors: list[tuple[str, tuple[int, ...]]], dtype: torch.dtype, shard_bytes: int):
        self.out, self.dtype, self.item = out, dtype, torch.empty((), dtype=dtype).element_size()
        shards: list[list[tuple[str, tuple[int, ...]]]] = [[]]
        size = 0
        for name, shape in tensors:
            n = self.item * _numel(shape)
            if shards[-1] and size + n > shard_bytes:
                shards.append([])
                size = 0
            shards[-1].append((name, shape))
            size += n
        self.where: dict[str, tuple[Path, int]] = {}  # tensor -> (file, byte offset of its data)
        self.weight_map: dict[str, str] = {}
        self.total = 0
        for i, group in enumerate(shards):
            fname = "model.safetensors" if len(shards) == 1 else f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
            header: dict[str, object] = {"__metadata__": {"format": "pt"}}
            off = 0
            for name, shape in group:
                n = self.item * _numel(shape)
                header[name] = {"dtype": ST_DTYPES[dtype], "shape": list(shape), "data_offsets": [off, off + n]}
                off += n
            raw = json.dumps(header, separators=(",", ":")).encode()
            raw += b" " * (-len(raw) % 8)
            path = out / fname
            with open(path, "wb") as fh:
                fh.write(len(raw).to_bytes(8, "little"))
                fh.write(raw)
                fh.truncate(8 + len(raw) + off)
            start = 8 + len(raw)
            for name, _ in group:
                self.where[name] = (path, start + header[name]["data_offsets"][0])  # type: ignore[index]
                self.weight_map[name] = fname
            self.total += off

    def write(self, name: str, first_elem: int, block: torch.Tensor) -> None:
        path, start = self.where[name]
        data = block.to(self.dtype).contiguous().reshape(-1).view(torch.uint8).numpy()
        with open(path, "r+b") as fh:
            fh.seek(start + first_elem * self.item)
            fh.write(data.tobytes())

    def finish(self) -> int:
        if len(set(self.weight_map.values())) > 1:
            (self.out / "model.safetensors.index.json").write_text(json.dumps(
                {"metadata": {"total_size": self.total}, "weight_map": self.weight_map}, indent=2))
        return len(set(self.weight_map.values()))


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


class _Tensor:
    """One tensor of the merge: its row blocks from the base and from each model, in the compute dtype."""

    def __init__(self, name: str, base: dict[str, TensorInfo], models: list[dict[str, TensorInfo]],
                 dtype: torch.dtype, block_elems: int):
        self.name, self.base, self.models, self.dtype = name, base[name], [m[name] for m in models], dtype
        self.shape = self.base.shape
        self.ranges = _ranges(self.shape, block_elems)
        self.row = _numel(self.shape[1:]) if self.shape else 1

    def blocks(self, with_base: bool = True) -> Iterator[tuple[int, torch.Tensor | None, list[torch.Tensor]]]:
        """(first entry, base rows, [model rows]) for every block."""
        for a, b in self.ranges:
            base = _read(self.base, self.name, a, b, self.dtype) if with_base else None
            yield a * self.row, base, [_read(m, self.name, a, b, self.dtype) for m in self.models]


def _dare_masks(name: str, seed: int, n: int) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(zlib.crc32(f"{seed}:{name}:{i}".encode())) for i in range(n)]


SPARSIFY = {"ties": "magnitude", "dare_ties": "random", "dare_linear": "random"}  # mergekit method -> drop rule
CONSENSUS = ("ties", "dare_ties")  # mergekit methods electing a sign


def _merge_tensor(t: _Tensor, method: Method, w: list[float], density: float | None, lam: float, topk: float,
                  seed: int, write: Callable[[int, torch.Tensor], None]) -> None:
    """One tensor by ``method``'s mergekit semantics, read from its registry entry (method and fixed parameters)."""
    n = len(t.models)
    normalize = bool(method.fixed.get("normalize", True))
    if method.mergekit == "linear":  # float32 accumulation of w_i * M_i, divided by sum(w) if normalize
        for first, _, ms in t.blocks(with_base=False):
            acc = torch.zeros_like(ms[0], dtype=torch.float32)
            for wi, m in zip(w, ms, strict=True):
                acc.add_(m.float(), alpha=wi)
            write(first, (acc / sum(w) if normalize else acc).to(t.dtype))
        return
    numel = _numel(t.shape)

    def deltas() -> Iterator[tuple[int, torch.Tensor, list[torch.Tensor]]]:
        for first, base, ms in t.blocks():
            assert base is not None
            yield first, base, [m - base for m in ms]

    drop = SPARSIFY.get(method.mergekit) if density is not None and density < 1 else None
    rescale = bool(method.fixed.get("rescale", method.mergekit.startswith("dare")))
    scale = [1.0] * n
    thresholds: list[float] = []
    if drop == "magnitude":  # top-k magnitudes per tensor, k = max(1, int(density * numel))
        k = max(1, int(density * numel))
        thresholds = kth_largest(lambda: ([di.abs().float() for di in d] for _, _, d in deltas()), k)
    if drop == "random" and rescale:  # L1 rescale: |delta|_1 / |delta * mask|_1 per tensor
        before, after = [0.0] * n, [0.0] * n
        gens = _dare_masks(t.name, seed, n)
        for _, _, d in deltas():
            for i, di in enumerate(d):
                keep = torch.rand(di.shape, generator=gens[i]) < density
                before[i] += di.abs().sum(dtype=torch.float64).item()
                after[i] += (di * keep).abs().sum(dtype=torch.float64).item()
        scale = [b / a if b >= 1e-7 and a >= 1e-7 else 1.0 for b, a in zip(before, after, strict=True)]
    if method.mergekit == "sce":
        _sce(t, n, topk, deltas, write)
        return
    gens = _dare_masks(t.name, seed, n)
    consensus = method.mergekit in CONSENSUS
    for first, base, d in deltas():
        if thresholds:
            d = [di * (di.abs().float() >= thr) for di, thr in zip(d, thresholds, strict=True)]
        elif drop == "random":
            d = [di * (torch.rand(di.shape, generator=g) < density) * s for di, g, s in zip(d, gens, scale, strict=True)]
        wd = torch.stack(d) * torch.tensor(w, dtype=t.dtype).view(-1, *[1] * d[0].dim())
        if consensus:  # sign of the weighted sum elects; a disjoint weighted mean of the agreeing deltas
            agree = (wd.sign() == torch.where(wd.sum(0) >= 0, 1.0, -1.0).to(t.dtype)).to(t.dtype)
            den = (torch.tensor(w, dtype=t.dtype).view(-1, *[1] * d[0].dim()) * agree).sum(0)
            den[den == 0] = 1
            mixed = (wd * agree).sum(0)
        else:
            den = torch.tensor(sum(w), dtype=t.dtype)
            den = den if den.abs() >= 1e-8 else torch.ones_like(den)
            mixed = wd.sum(0)
        if normalize:
            mixed = mixed / den
        if lam != 1:
            mixed = mixed * lam
        write(first, (base + mixed).to(t.dtype))


def _sce(t: _Tensor, n: int, topk: float, deltas, write) -> None:
    """mergekit's sce: variance top-k selection, sign election, per-tensor weights ~ mean squared delta."""
    thr = None
    if topk < 1:
        nonzero = sum(int(torch.count_nonzero(torch.var(torch.stack(d), 0, unbiased=False))) for _, _, d in deltas())
        k = int(nonzero * topk)
        thr = kth_largest(lambda: ([torch.var(torch.stack(d), 0, unbiased=False).abs().float()] for _, _, d in deltas()),
                          k)[0] if k else float("inf")

    def selected() -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
        for first, base, d in deltas():
            tv = torch.stack(d)
            if thr is not None:
                tv = tv * (torch.var(tv, 0, unbiased=False).abs().float() >= thr).to(tv.dtype)
            yield first, base, tv

    sq = torch.zeros(n, dtype=torch.float64)
    for _, _, tv in selected():
        sq += tv.double().square().reshape(n, -1).sum(1)
    wts = sq / _numel(t.shape)
    wts = torch.full((n,), 1.0 / n, dtype=torch.float64) if abs(wts.sum().item()) < 1e-6 else wts / wts.sum()
    for first, base, tv in selected():
        wv = wts.to(tv.dtype).view(-1, *[1] * (tv.dim() - 1))
        agree = (tv.sign() == torch.where(tv.sum(0) >= 0, 1.0, -1.0).to(tv.dtype)).to(tv.dtype)
        ew = wv * agree
        write(first, (base + (tv * ew).sum(0) / ew.sum(0).clamp(min=1e-6)).to(tv.dtype))


def stream_merge(method: str, base: Path, models: list[Path], out: Path, *, weights: list[float],
                 density: float | None, lambda_: float, select_topk: float, seed: int, dtype: str,
                 out_dtype: str | None, shard_bytes: int, block_elems: int | None = None) -> int:
    """Merge into the (existing, empty) directory ``out``; returns the number of shards written."""
    bidx, midx = tensor_index(base), [tensor_index(m) for m in models]
    cd = TORCH_DTYPES[dtype]
    writer = StreamWriter(out, [(k, v.shape) for k, v in bidx.items()], TORCH_DTYPES[out_dtype or dtype], shard_bytes)
    for name in bidx:
        t = _Tensor(name, bidx, midx, cd, block_elems or BLOCK_ELEMS)
        _merge_tensor(t, get_method(method), weights, density, lambda_, select_topk, seed,
                      lambda first, block, name=name: writer.write(name, first, block))
    return writer.finish()
