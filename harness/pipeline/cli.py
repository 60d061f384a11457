"""`mixmerge reproduce`: run a recipe's study end to end (resumable; --dry-run prints the plan)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from harness.errors import UserError
from harness.pipeline.executor import EXECUTORS
from harness.pipeline.runner import Runner, inputs_hash
from harness.pipeline.stages import Stage, resources_of
from harness.recipe import Recipe, load_recipe


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--recipe", default="micro", help="recipe name in recipes/ or a YAML path (default: micro)")
    p.add_argument("--runs", type=Path, default=Path("runs"), help="run store root (default: runs/)")
    p.add_argument("--until", metavar="STAGE", help="stop after STAGE (runs its ancestors only)")
    p.add_argument("--force", metavar="STAGE", action="append", default=[], help="rebuild STAGE even if cached")
    p.add_argument("--dry-run", action="store_true", help="print the plan (stages, state, launches) and exit")
    p.add_argument("--keep-going", action="store_true", help="after a failure, go on with independent stages")
    p.add_argument("--executor", choices=EXECUTORS,
                   help="local: in order, here; ray: independent stages side by side as Ray tasks "
                        "(default: the recipe's executor.kind)")
    p.add_argument("--ray-address", metavar="ADDR",
                   help="Ray cluster to run on (HOST:PORT or ray://...; implies --executor ray; default: the "
                        "recipe's executor.address, else a Ray started here)")


def gpu_backend_stages(recipe: Recipe, stages: list[Stage]) -> list[Stage]:
    from harness.train.cli import backend_of  # the recipe section each training stage reads its backend from

    return [s for s in stages if s.kind in ("sft", "rl", "rl-multi") and backend_of(recipe, s.name) == "openrlhf"]


def launch_text(recipe: Recipe, stage: Stage, run_root: Path) -> str:
    try:
        from harness.train.openrlhf import launch
    except ModuleNotFoundError:
        return "    (OpenRLHF launch writer not built yet: issue #6)"
    kind = "sft" if stage.kind == "sft" else "grpo"
    text = launch.format_plan(launch.plan(recipe, kind, stage.name, run_root))
    return "\n".join("    " + line for line in text.splitlines())


def executor_of(recipe: Recipe, args: argparse.Namespace) -> tuple[str, str | None]:
    address = getattr(args, "ray_address", None) or recipe.executor.address
    kind = getattr(args, "executor", None) or ("ray" if getattr(args, "ray_address", None) else recipe.executor.kind)
    return kind, address


def ray_text(recipe: Recipe, stage: Stage) -> str:
    r = resources_of(recipe, stage)
    return f"{r.cpus:g} CPU, {r.gpus:g} GPU" + (f", {r.memory_gb:g} GB" if r.memory_gb else "")


OPD_TEXT = ("    (MT-OPD: the local TRL path on one GPU, the student and its teachers in memory, bf16 when large; "
            "OpenRLHF has no distillation path)")


def print_plan(runner: Runner, stages: list[Stage], executor: str = "local", address: str | None = None) -> None:
    r = runner.recipe
    gpu = {s.name for s in gpu_backend_stages(r, stages)}
    total = 0.0
    where_ex = f"ray ({address or 'a Ray started here'})" if executor == "ray" else "local (in order)"
    print(f"plan for recipe {r.name!r} ({len(stages)} stages; run store {runner.root}; executor {where_ex})")
    for s in stages:
        state = "cached" if runner.store.is_done(s.name, inputs_hash(r, s, runner.store)) else "to run"
        where = "openrlhf image (GPU)" if s.name in gpu else "local"
        if s.kind == "eval" and r.eval.backend == "vllm":
            where = "eval image, vLLM (GPU)"
        est = r.gpu_hours.get(s.name)
        total += est or 0.0
        est_s = f"  ~{est:,.0f} GPU-h (paper)" if est else ""
        ray_s = f"  ray: {ray_text(r, s)}" if executor == "ray" else ""
        deps = ", ".join(s.deps[:4]) + (" ..." if len(s.deps) > 4 else "")
        print(f"  {s.name:<18} {state:<7} {where:<22} <- {deps or '-'}{est_s}{ray_s}")
        if s.name in gpu:
            print(launch_text(r, s, runner.root))
        if s.kind == "opd":
            print(OPD_TEXT)
    if total:
        print(f"estimated GPU hours (paper's table): {total:,.1f}")
    if executor == "ray":
        need = [resources_of(r, s) for s in stages]
        print(f"ray resources: largest task {max(x.cpus for x in need):g} CPU / {max(x.gpus for x in need):g} GPU; "
              f"{sum(x.gpus > 0 for x in need)} of {len(stages)} tasks ask for GPUs")

    from harness.ledger_estimate import format_estimate  # the compute ledger the recipe implies (issue #21)

    print(format_estimate(r))


def run(args: argparse.Namespace) -> int:
    recipe = load_recipe(args.recipe)
    executor, address = executor_of(recipe, args)
    runner = Runner(recipe, args.runs)
    stages = runner.stages(args.until)
    gpu = gpu_backend_stages(recipe, stages)
    if args.dry_run:
        print_plan(runner, stages, executor, address)
        return 0
    if gpu and executor == "local" and not shutil.which("nvidia-smi"):
        print_plan(runner, stages, executor, address)
        raise UserError(
            f"recipe {recipe.name!r} trains {len(gpu)} stages on GPUs (OpenRLHF) and no GPU is visible here "
            "(nvidia-smi not found): run it on a GPU node with the docker/openrlhf image, or on a GPU cluster "
            "with --executor ray --ray-address ADDR (see README)"
        )
    outcomes = runner.run(args.until, tuple(args.force), args.keep_going, executor, address)
    bad = [o for o in outcomes if o.state in ("failed", "not-built")]
    if bad:
        o = bad[0]
        print(f"stopped at {o.stage}: {o.message.splitlines()[0] if o.message else o.state}")
        return 3 if o.state == "not-built" else 1
    return 0
