"""Pipeline stage ``leaderboard``: every eval-* stage's results + the training stages' device seconds."""

from __future__ import annotations

from harness.pipeline.context import StageContext
from leaderboard.build import build
from leaderboard.collect import ledger_from_run


def leaderboard_stage(ctx: StageContext) -> dict:
    dirs = [d for name, d in sorted(ctx.inputs.items()) if name.startswith("eval-")]
    ledger = {k: v for k, v in ledger_from_run(ctx.run_root).items()
              if not k.startswith(("eval-", "leaderboard", "analysis", "report"))}
    info = build(dirs, ctx.out, ledger, ledger_from_run(ctx.run_root, "flops"))
    ctx.log.info("leaderboard: %d variants x %d benchmarks", len(info["variants"]), len(info["benchmarks"]))
    return {"metrics": {"average": info["average"]}, "ledger": ledger}
