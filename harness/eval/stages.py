"""Pipeline stage ``eval-<variant>``: evaluate the variant's model on the recipe's suites.

Public suites are added when ``eval.public_suites_if_present`` and their data file is on disk under the
external data directory (``$MIXMERGE_EXTERNAL``, else ``../shared/external`` beside the checkout; see ``harness.paths``).
Results go to ``<stage dir>/<variant>/<suite>/`` (what the leaderboard stage reads).
"""

from __future__ import annotations

import time

from domains.base import Suite
from domains.registry import all_suites
from harness.eval.runner import evaluate
from harness.paths import external_dir
from harness.pipeline.context import StageContext

# public suite -> its file under the external data directory (native format)
PUBLIC_FILES: dict[str, str] = {
    "ifeval": "ifeval/input_data.jsonl",
    "ifbench": "ifbench/IFBench_test.jsonl",
    "humaneval": "humaneval/HumanEval.jsonl.gz",
}


def public_suites_present(known: set[str]) -> dict[str, str]:
    base = external_dir()
    return {s: str(base / f) for s, f in PUBLIC_FILES.items() if s in known and (base / f).exists()}


def _windowed(name: str, cfg) -> str | Suite:
    """A LiveCodeBench suite over the recipe's window (``eval.lcb_windows``); any other suite by its name."""
    w = cfg.lcb_windows.get(name)
    if w is None:
        return name
    from domains.code.lcb import LCBWindow
    from domains.code.suites import lcb_suite

    return lcb_suite(name, LCBWindow(w.release, w.start, w.end, w.why))


def eval_stage(ctx: StageContext) -> dict:
    from harness.sandbox import sandbox_for

    cfg = ctx.recipe.eval
    variant = ctx.param or "base"
    suites = list(cfg.suites)
    data: dict[str, str] = {}
    if cfg.public_suites_if_present:
        data = {s: p for s, p in public_suites_present(set(all_suites())).items() if s not in suites}
        suites += list(data)
    t0 = time.perf_counter()
    results = evaluate(
        str(ctx.model_dir(variant)), [_windowed(s, cfg) for s in suites], ctx.out, k=cfg.k, limit=cfg.limit, backend=cfg.backend,
        overrides={"temperature": cfg.temperature, "top_p": cfg.top_p, "max_new_tokens": cfg.max_new_tokens},
        seed=ctx.seed, sandbox=lambda: sandbox_for(ctx.recipe.sandbox), data=data, model_name=variant,
        generator_opts={"batch_size": cfg.batch_size} if cfg.backend == "transformers" else {},
        think_gate=cfg.think_gate,
        judge={"url": cfg.hle_judge_url, "model": cfg.hle_judge_model} if cfg.hle_judge_url else None,
    )
    ctx.log.info("eval-%s: %s", variant, ", ".join(f"{s} {100 * r['metrics']['accuracy']:.1f}" for s, r in results.items()))
    return {"metrics": {s: r["metrics"]["accuracy"] for s, r in results.items()},
            "suites": {s: {"suite_hash": r["suite_hash"], "n": r["n"], "k": r["k"]} for s, r in results.items()},
            "eval_wall_s": round(time.perf_counter() - t0, 3)}
