"""Pipeline stages ``merge-<method>``: merge the four single-domain RL models onto the SFT model."""

from __future__ import annotations

import torch

from harness.merge.merge import merge
from harness.pipeline.context import StageContext
from harness.recipe import DOMAINS


def merge_stage(ctx: StageContext) -> dict:
    """``ctx.param`` is the stage suffix (``ties-dare``); methods use underscores (``ties_dare``)."""
    method = (ctx.param or "").replace("-", "_")
    cfg = ctx.recipe.merge
    rl = [f"rl-{d}" for d in DOMAINS]
    info = merge(method, ctx.model_dir("sft"), [ctx.model_dir(s) for s in rl], ctx.out / "model",
                 weights=[cfg.weights.get(d, 1.0) for d in DOMAINS] if method != "sce" else None,
                 seed=cfg.seed, names=rl, defaults=cfg)
    ctx.log.info("merge %s: %s over %s in %.1fs", method, info["mergekit_method"], ", ".join(rl),
                 info["wall_seconds"])
    # merging is CPU work even on a GPU machine: cores x wall, not GPUs x wall
    dev = round(info["wall_seconds"] * torch.get_num_threads(), 3)
    return {"merge": info, "device": "cpu", "device_seconds": dev}
