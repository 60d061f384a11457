"""`mixmerge merge`: merge fine-tunes of one base with one of the paper's six methods (through mergekit)."""

from __future__ import annotations

import argparse
import json

from harness.merge.merge import DTYPES, ENGINES, STREAM_ABOVE, merge
from harness.merge.methods import METHODS
from harness.recipe import MergeStage


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = MergeStage()
    p.add_argument("--method", required=True, metavar="M",
                   help="; ".join(f"{m.name}: {m.summary} (mergekit {m.mergekit})" for m in METHODS.values()))
    p.add_argument("--base", required=True, help="the common base (the SFT model) — an HF model directory")
    p.add_argument("--models", nargs="+", required=True, help="fine-tuned model directories to merge")
    p.add_argument("--out", required=True, help="output HF model directory (must not exist or be empty)")
    p.add_argument("--weights", nargs="+", type=float, help="one weight per model (default 1.0 each, paper)")
    p.add_argument("--density", type=float,
                   help=f"fraction kept per task vector (defaults: ties {d.ties_density}, dare {d.dare_density})")
    p.add_argument("--lambda", dest="lambda_", type=float, help=f"task-vector scale (default {d.lambda_})")
    p.add_argument("--select-topk", type=float, help=f"SCE variance selection (default {d.sce_topk})")
    p.add_argument("--seed", type=int, help=f"seed of DARE's random drop (default {d.seed})")
    p.add_argument("--dtype", choices=DTYPES, help=f"compute dtype (default {d.dtype}); output keeps the base's")
    p.add_argument("--shard-size", default="2B", help="bytes per output safetensors shard (K/M/B suffixes)")
    p.add_argument("--engine", choices=ENGINES, default="auto",
                   help=f"mergekit (whole tensors), stream (row blocks, ~1.5x one model's memory) or auto: stream "
                        f"when a model's weights exceed {STREAM_ABOVE >> 20} MiB (default)")


def run(args: argparse.Namespace) -> int:
    info = merge(args.method, args.base, args.models, args.out, weights=args.weights, density=args.density,
                 lambda_=args.lambda_, select_topk=args.select_topk, seed=args.seed, dtype=args.dtype,
                 shard_size=args.shard_size, engine=args.engine)
    keep = {k: info[k] for k in ("method", "mergekit_method", "engine", "density", "lambda", "select_topk", "seed",
                                 "shards", "wall_seconds", "peak_rss_mb_process")}
    print(json.dumps(keep))
    print(f"merged {len(info['models'])} models -> {args.out}")
    return 0
