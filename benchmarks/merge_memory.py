"""Peak memory of `mixmerge merge` on four multi-GB models, against the size of one model.

Builds (once, streaming, never holding a model in memory) a random Qwen3 base of the chosen size in
bf16 and four "fine-tunes" (base + seeded noise), then runs ``mixmerge merge`` in a child process and
polls its resident set size. Usage (10-60 min on 2 busy cores and ~6x the model size of disk; niced):

    nice -n 10 python benchmarks/merge_memory.py --workdir /tmp/merge-bench --method ties
    python benchmarks/merge_memory.py --workdir /tmp/merge-bench --size tiny   # seconds, a smoke run

Prints one JSON line per method: model bytes, peak RSS of the merge process (and its anonymous part, i.e.
without the input pages mapped from disk), their ratios to one model, wall time. Arguments after ``--`` go to
``mixmerge merge`` (e.g. ``-- --shard-size 1B --engine mergekit``).

Measured 2026-12-08 on the shared 2-core CPU box (four fine-tunes + base of 0.86 B parameters, 1.72 GB each in
bf16, float32 compute, 1 GB shards, niced and heavily contended so wall times are loose):
``nice -n 10 python benchmarks/merge_memory.py --workdir W --size 0.86b --keep --method average ta ta_dare
ties_dare sce ties -- --shard-size 1B``. Before (the mergekit engine, whole tensors): peak RSS / one model =
average 2.80x, ta 5.15x, ta_dare 5.52x, ties_dare 7.55x, sce 7.64x, ties 7.60x. Now (``--engine auto`` streams above
1 GiB per model): average 0.45x, ta 0.73x, ta_dare 0.69x, ties_dare 0.79x, sce 0.80x, ties 0.76x.
Earlier (2026-11-25, mergekit, four 3.44 GB Qwen3-1.7B-shaped models, bf16 compute): ta 2.1x, ties 4.1x.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import zlib
from pathlib import Path

import psutil
import torch
from safetensors.torch import save_file
from transformers import Qwen3Config, Qwen3ForCausalLM

from harness.model.build import train_tokenizer

SIZES = {  # Qwen3-1.7B's shape (1.72 B parameters with the tied 152k embedding; 3.44 GB in bf16)
    "1.7b": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=28, num_attention_heads=16,
                 num_key_value_heads=8, head_dim=128, vocab_size=151936),
    # the same shape halved (14 layers, half the vocabulary: 0.86 B parameters, 1.72 GB in bf16); the
    # embedding keeps its 18% share, so the ratio to one model carries over at half the disk and time
    "0.86b": dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=14, num_attention_heads=16,
                  num_key_value_heads=8, head_dim=128, vocab_size=75968),
    "tiny": dict(hidden_size=256, intermediate_size=768, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=2, head_dim=64, vocab_size=8192),
}


def _tensor(name: str, shape: tuple[int, ...], seed: int, scale: float) -> torch.Tensor:
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 1_000_003 * seed)
    return torch.randn(shape, generator=g) * scale


def write_model(out: Path, cfg: Qwen3Config, shapes: dict[str, tuple[int, ...]], tok, noise_seed: int | None,
                shard_bytes: int = 1 << 30) -> int:
    """Base tensors from seed 0; a fine-tune adds 1e-3 x noise(noise_seed). Returns bytes written."""
    out.mkdir(parents=True)
    cfg.save_pretrained(out)
    tok.save_pretrained(out)
    shard, size, shards, index, total = {}, 0, [], {}, 0

    def flush():
        nonlocal shard, size
        if shard:
            name = f"model-{len(shards) + 1:05d}.safetensors"
            save_file(shard, out / name, metadata={"format": "pt"})
            shards.append(name)
            index.update({k: name for k in shard})
            shard, size = {}, 0

    for name, shape in shapes.items():
        t = _tensor(name, shape, 0, 0.02)
        if noise_seed is not None:
            t += _tensor(name, shape, noise_seed, 1e-3)
        t = t.to(torch.bfloat16)
        shard[name] = t
        size += t.numel() * 2
        total += t.numel() * 2
        if size >= shard_bytes:
            flush()
    flush()
    (out / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total},
                                                                  "weight_map": index}))
    return total


def build(workdir: Path, size: str) -> tuple[Path, list[Path], int]:
    tok = train_tokenizer(["a b c 1 2 3"], vocab_size=300)
    cfg = Qwen3Config(**SIZES[size], tie_word_embeddings=True, max_position_embeddings=4096, dtype="bfloat16",
                      architectures=["Qwen3ForCausalLM"])
    with torch.device("meta"):
        model = Qwen3ForCausalLM(cfg)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items() if k != "lm_head.weight"}
    base = workdir / "base"
    models = [workdir / f"ft{i}" for i in range(4)]
    nbytes = write_model(base, cfg, shapes, tok, None) if not base.exists() else sum(
        f.stat().st_size for f in base.glob("*.safetensors"))
    for i, m in enumerate(models):
        if not m.exists():
            write_model(m, cfg, shapes, tok, i + 1)
    return base, models, nbytes


def _anon(proc: psutil.Process) -> int:
    """Anonymous resident bytes (RSS less the file pages mapped from the inputs, which the kernel can drop)."""
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(cmd: list[str], min_free: float) -> tuple[int, int, float]:
    """Run ``cmd``, polling its RSS (and anonymous RSS); kill it if the machine's available memory drops below
    ``min_free`` bytes (the machine is shared: never push co-tenants into the OOM killer)."""
    t0 = time.time()
    proc = psutil.Popen(cmd)
    peak = peak_anon = 0
    while proc.poll() is None:
        try:
            procs = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs))
            peak_anon = max(peak_anon, sum(_anon(p) for p in procs))
        except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
            pass
        if psutil.virtual_memory().available < min_free:
            proc.kill()
            proc.wait()
            sys.exit(f"aborted: available memory fell below {min_free / 1e9:.1f} GB (merge RSS {peak / 1e9:.1f} GB)")
        time.sleep(0.1)
    if proc.returncode:
        sys.exit(f"merge failed with exit code {proc.returncode}")
    return peak, peak_anon, time.time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--size", choices=sorted(SIZES), default="1.7b")
    ap.add_argument("--method", nargs="+", default=["ties"], help="one or more methods, measured one after another")
    ap.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32", help="merge compute dtype")
    ap.add_argument("--min-free-gb", type=float, default=2.0, help="abort when available memory falls below")
    ap.add_argument("--keep", action="store_true", help="keep the generated models")
    ap.add_argument("merge_args", nargs="*", help="after --: more `mixmerge merge` arguments (e.g. --shard-size 1B)")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    base, models, nbytes = build(args.workdir, args.size)
    build_s = time.time() - t0
    for method in args.method:
        out = args.workdir / f"merged-{method}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "harness.cli", "merge", "--method", method, "--base", str(base),
               "--models", *map(str, models), "--out", str(out), "--dtype", args.dtype, *args.merge_args]
        peak, peak_anon, wall = measure(cmd, args.min_free_gb * 1e9)
        print(json.dumps({"size": args.size, "method": method, "dtype": args.dtype, "merge_args": args.merge_args,
                          "models_merged": len(models), "one_model_gb": round(nbytes / 1e9, 3),
                          "all_inputs_gb": round(5 * nbytes / 1e9, 3), "peak_rss_gb": round(peak / 1e9, 3),
                          "peak_over_one_model": round(peak / nbytes, 3), "peak_anon_rss_gb": round(peak_anon / 1e9, 3),
                          "anon_over_one_model": round(peak_anon / nbytes, 3), "merge_wall_s": round(wall, 1),
                          "build_s": round(build_s, 1), "threads": torch.get_num_threads()}), flush=True)
        shutil.rmtree(out, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
