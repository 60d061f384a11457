"""``mixmerge train sft|grpo|opd --recipe R [--stage S] [--backend local|openrlhf] [--dry-run] [--out DIR]``.

The same functions the pipeline calls for its stages ``sft``, ``rl-<domain>``, ``rl-multi`` and ``opd-multi``.
Upstream models are read from the run store ``<runs>/<recipe>/<stage>/model`` unless ``--model`` (and, for opd,
``--teacher DOMAIN=PATH``) name them; the output goes to ``--out`` (default ``<runs>/<recipe>/cli/<stage>``, outside
the pipeline's cached stages).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.errors import NotBuiltYet, UserError, unknown
from harness.recipe import DOMAINS, Recipe, load_recipe

KINDS = ("sft", "grpo", "opd")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=KINDS, help="what to train")
    p.add_argument("--recipe", default="micro", help="recipe name in recipes/ or a YAML path (default: micro)")
    p.add_argument("--stage", help="grpo: math|code|science|if|multi (or rl-<x>); sft: sft; opd: multi (default)")
    p.add_argument("--backend", choices=("local", "openrlhf"), help="default: the recipe section's backend")
    p.add_argument("--dry-run", action="store_true", help="print what would run (data sizes, settings / the launch)")
    p.add_argument("--runs", type=Path, default=Path("runs"), help="run store root (default: runs/)")
    p.add_argument("--model", type=Path, help="input model dir (default: the run store's base or sft stage)")
    p.add_argument("--teacher", action="append", default=[], metavar="DOMAIN=PATH", help="opd teacher (repeatable)")
    p.add_argument("--out", type=Path, help="output folder (default: <runs>/<recipe>/cli/<stage>)")
    p.add_argument("--seed", type=int, help="default: the recipe's seed")


def stage_name(kind: str, stage: str | None) -> str:
    if kind == "sft":
        if stage not in (None, "sft"):
            raise UserError(f"train sft: --stage is 'sft' (got {stage!r})")
        return "sft"
    if kind == "opd":
        if stage not in (None, "multi", "opd-multi"):
            raise UserError(f"train opd: --stage is 'multi' (got {stage!r})")
        return "opd-multi"
    param = (stage or "").removeprefix("rl-")
    if not param:
        raise UserError(f"train grpo: --stage is required: one of {', '.join([*DOMAINS, 'multi'])}")
    if param not in (*DOMAINS, "multi"):
        raise unknown("GRPO stage", param, [*DOMAINS, "multi"])
    return f"rl-{param}"


def backend_of(recipe: Recipe, name: str) -> str:
    if name == "sft":
        return recipe.sft.backend
    if name == "opd-multi":
        return recipe.opd.backend
    param = name.removeprefix("rl-")
    return (recipe.rl_multi if param == "multi" else recipe.grpo_for(param)).backend


def _model_dir(path: Path) -> Path:
    path = Path(path)
    return path / "model" if (path / "model" / "config.json").exists() else path


def inputs_for(name: str, run_root: Path, model: Path | None, teachers: list[str]) -> dict[str, Path]:
    """stage name -> model dir of each input (``base`` for sft; ``sft`` + ``rl-<d>`` teachers for opd)."""
    up = "base" if name == "sft" else "sft"
    inputs = {up: _model_dir(model) if model else run_root / up / "model"}
    if name == "opd-multi":
        given = {}
        for t in teachers:
            d, sep, p = t.partition("=")
            if not sep or d not in DOMAINS:
                raise UserError(f"--teacher {t!r}: use DOMAIN=PATH with DOMAIN in {', '.join(DOMAINS)}")
            given[d] = _model_dir(Path(p))
        for d in DOMAINS:
            inputs[f"rl-{d}"] = given.get(d, run_root / f"rl-{d}" / "model")
    return inputs


def describe(recipe: Recipe, name: str, seed: int, inputs: dict[str, Path], out: Path) -> str:
    from harness.train import data
    from harness.train.stages import grpo_settings

    lines = [f"train {name} (local TRL backend), recipe {recipe.name!r}, seed {seed}", f"  out: {out}"]
    lines += [f"  input {k}: {v}{'' if (v / 'config.json').exists() else '  (missing)'}" for k, v in inputs.items()]
    if name == "sft":
        s = recipe.sft
        lines.append(f"  blend {json.dumps(s.blend)}; lr {s.learning_rate}; batch {s.batch_size}; "
                     f"epochs {s.epochs}; max_steps {s.max_steps}")
        lines.append(f"  examples: {len(data.sft_examples(recipe, seed))}")
    elif name == "opd-multi":
        o = recipe.opd
        lines.append(f"  mix {json.dumps(o.mix)}; {o.steps} steps x {o.prompts_per_step} prompts x "
                     f"{o.samples_per_prompt} samples; lr {o.learning_rate}; reverse KL (beta=1.0)")
    else:
        g, mix = grpo_settings(recipe, name.removeprefix("rl-"))
        lines.append(f"  mix {json.dumps(mix)}; {g.steps} steps x {g.prompts_per_step} prompts x {g.group_size}; "
                     f"lr {g.learning_rate}; kl {g.kl_coef}; clip [{g.eps_low}, {g.eps_high}]; T {g.temperature}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    recipe = load_recipe(args.recipe)
    name = stage_name(args.kind, args.stage)
    backend = args.backend or backend_of(recipe, name)
    run_root = args.runs / recipe.name
    seed = recipe.seed if args.seed is None else args.seed
    inputs = inputs_for(name, run_root, args.model, args.teacher)
    if backend == "openrlhf":
        try:
            from harness.train.openrlhf import launch
        except ModuleNotFoundError as e:
            if e.name and "harness.train.openrlhf".startswith(e.name):
                raise NotBuiltYet("train --backend openrlhf: not built yet (harness.train.openrlhf)") from None
            raise
        return int(launch.run(recipe, args.kind, name, run_root, args.dry_run, inputs) or 0)
    out = args.out or run_root / "cli" / name
    if args.dry_run:
        print(describe(recipe, name, seed, inputs, out))
        return 0
    for k, v in inputs.items():
        if not (v / "config.json").exists():
            raise UserError(f"input model for {k} not found at {v}: run `mixmerge reproduce --until {k}` or pass "
                            f"{'--teacher' if k.startswith('rl-') else '--model'}")
    from harness.train import stages

    out.mkdir(parents=True, exist_ok=True)
    if name == "sft":
        res = stages.run_sft(recipe, inputs["base"], out, seed)
    elif name == "opd-multi":
        res = stages.run_opd(recipe, inputs["sft"], {d: inputs[f"rl-{d}"] for d in DOMAINS}, out, seed)
    else:
        res = stages.run_grpo(recipe, name.removeprefix("rl-"), inputs["sft"], out, seed)
    (out / "result.json").write_text(json.dumps(res, indent=1, default=str))
    print(f"{name}: model at {out / 'model'}; {res['device_seconds']} device-seconds; metrics {out / 'metrics.jsonl'}")
    return 0
