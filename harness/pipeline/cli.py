"""`mixmerge reproduce`: run a recipe's study end to end (resumable; --dry-run prints the plan)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from harness.errors import UserError
from harness.pipeline.runner import Runner, inputs_hash
from harness.pipeline.stages import Stage
from harness.recipe import Recipe, load_recipe


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--recipe", default="micro", help="recipe name in recipes/ or a YAML path (default: micro)")
    p.add_argument("--runs", type=Path, default=Path("runs"), help="run store root (default: runs/)")
    p.add_argument("--until", metavar="STAGE", help="stop after STAGE (runs its ancestors only)")
    p.add_argument("--force", metavar="STAGE", action="append", default=[], help="rebuild STAGE even if cached")
    p.add_argument("--dry-run", action="store_true", help="print the plan (stages, state, launches) and exit")
    p.add_argument("--keep-going", action="store_true", help="after a failure, go on with independent stages")


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


def print_plan(runner: Runner, stages: list[Stage]) -> None:
    r = runner.recipe
    gpu = {s.name for s in gpu_backend_stages(r, stages)}
    total = 0.0
    print(f"plan for recipe {r.name!r} ({len(stages)} stages; run store {runner.root})")
    for s in stages:
        state = "cached" if runner.store.is_done(s.name, inputs_hash(r, s, runner.store)) else "to run"
        where = "openrlhf image (GPU)" if s.name in gpu else "local"
        est = r.gpu_hours.get(s.name)
        total += est or 0.0
        est_s = f"  ~{est:,.0f} GPU-h (paper)" if est else ""
        deps = ", ".join(s.deps[:4]) + (" ..." if len(s.deps) > 4 else "")
        print(f"  {s.name:<18} {state:<7} {where:<22} <- {deps or '-'}{est_s}")
        if s.name in gpu:
            print(launch_text(r, s, runner.root))
    if total:
        print(f"estimated GPU hours (paper's table): {total:,.1f}")
    from harness.ledger_estimate import format_estimate  # the compute ledger the recipe implies (issue #21)

    print(format_estimate(r))


def run(args: argparse.Namespace) -> int:
    recipe = load_recipe(args.recipe)
    runner = Runner(recipe, args.runs)
    stages = runner.stages(args.until)
    gpu = gpu_backend_stages(recipe, stages)
    if args.dry_run:
        print_plan(runner, stages)
        return 0
    if gpu and not shutil.which("nvidia-smi"):
        print_plan(runner, stages)
        raise UserError(
            f"recipe {recipe.name!r} trains {len(gpu)} stages on GPUs (OpenRLHF) and no GPU is visible here "
            "(nvidia-smi not found): run it on a GPU node with the docker/openrlhf image (see README)"
        )
    outcomes = runner.run(args.until, tuple(args.force), args.keep_going)
    bad = [o for o in outcomes if o.state in ("failed", "not-built")]
    if bad:
        o = bad[0]
        print(f"stopped at {o.stage}: {o.message.splitlines()[0] if o.message else o.state}")
        return 3 if o.state == "not-built" else 1
    return 0
