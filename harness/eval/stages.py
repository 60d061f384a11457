"""Pipeline stage ``eval-<variant>``: evaluate the variant's model on the recipe's suites.

Public suites are added when ``eval.public_suites_if_present`` and their data file is on disk under the
external data directory (``$MIXMERGE_EXTERNAL``, else ``../shared/external`` beside the checkout; see ``harness.paths``).
Results go to ``<stage dir>/<variant>/<suite>/`` (what the leaderboard stage reads).
"""

from __future__ import annotations

import json
import os
import time
from argparse import Namespace
from pathlib import Path

from domains.base import Suite
from domains.registry import all_suites
from harness.eval.runner import evaluate
from harness.paths import expand_external, external_dir
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


GPU_IMAGE = "mixmerge-eval:gpu"  # docker/eval/Dockerfile (vLLM); MIXMERGE_EVAL_IMAGE names another


def recipe_data(given: dict[str, str]) -> dict[str, str]:
    """``eval.data`` with ``${MIXMERGE_EXTERNAL}`` expanded; a file that is not there fails with its field."""
    from harness.errors import UserError

    out = {}
    for suite, raw in given.items():
        path = Path(expand_external(raw))
        if not path.exists():
            raise UserError(f"eval.data.{suite}: {path} does not exist (from {raw!r}; MIXMERGE_EXTERNAL is "
                            f"{external_dir()})")
        out[suite] = str(path)
    return out


def in_gpu_image(ctx: StageContext, suites: list[str], data: dict[str, str]) -> dict[str, dict]:
    """``eval.backend: vllm``: the whole evaluation runs in the GPU eval image (``mixmerge eval --isolate docker``)."""
    import shutil

    from harness.errors import UserError
    from harness.eval.isolate import run_isolated

    cfg, variant = ctx.recipe.eval, ctx.param or "base"
    image = os.environ.get("MIXMERGE_EVAL_IMAGE", GPU_IMAGE)
    where = f"stage {ctx.name} (eval.backend vllm; log {ctx.log_file})"
    if not image.split(":")[-1].endswith("cpu") and shutil.which("nvidia-smi") is None:
        raise UserError(f"{where}: vLLM evaluation runs in {image} on a GPU and no GPU is visible here "
                        "(nvidia-smi not found): run on a GPU node, or set eval.backend: transformers")
    args = Namespace(model=str(ctx.model_dir(variant)), out=str(ctx.out), sandbox="auto", seed=ctx.seed,
                     model_name=variant, k=cfg.k, limit=cfg.limit, temperature=cfg.temperature, top_p=cfg.top_p,
                     max_new_tokens=cfg.max_new_tokens, served_model=None, stop=None, batch_size=cfg.batch_size,
                     concurrency=8, image=image, data=[f"{s}={p}" for s, p in data.items()],
                     think_gate=cfg.think_gate, judge_url=cfg.hle_judge_url, judge_model=cfg.hle_judge_model)
    try:
        code = run_isolated(args, suites, "vllm")
    except UserError as e:
        raise UserError(f"{where}: {e}") from None
    if code != 0:
        raise UserError(f"{where}: the evaluation container exited with {code}; its output is above / in the log")
    return {s: json.loads((Path(ctx.out) / variant / s / "results.json").read_text()) for s in suites}


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
    data = recipe_data(cfg.data)
    if cfg.public_suites_if_present:
        extra = {s: p for s, p in public_suites_present(set(all_suites())).items() if s not in suites}
        suites += list(extra)
        data.update(extra)
    t0 = time.perf_counter()
    if cfg.backend == "vllm":
        results = in_gpu_image(ctx, suites, data)
        return {"metrics": {s: r["metrics"]["accuracy"] for s, r in results.items()}, "backend": "vllm",
                "suites": {s: {"suite_hash": r["suite_hash"], "n": r["n"], "k": r["k"]} for s, r in results.items()},
                "eval_wall_s": round(time.perf_counter() - t0, 3)}
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
