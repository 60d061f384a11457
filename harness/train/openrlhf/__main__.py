"""``python -m harness.train.openrlhf --recipe R --stage S [--run-root DIR] [--prepare]``

Prints the OpenRLHF launch of a stage; with ``--prepare`` also writes its data, reward file and ``launch.sh``
without running anything — what a multi-node lab does before ``ray job submit`` (docker/openrlhf/README.md).
Everyday use goes through ``mixmerge train … --backend openrlhf``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import UserError
from harness.recipe import load_recipe
from harness.train.openrlhf import launch


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m harness.train.openrlhf", description=__doc__.splitlines()[2])
    ap.add_argument("--recipe", required=True, help="recipe name or YAML path")
    ap.add_argument("--stage", required=True, choices=[s for s in launch.STAGES if s != "opd-multi"])
    ap.add_argument("--run-root", type=Path, default=None, help="default: runs/<recipe name>")
    ap.add_argument("--prepare", action="store_true", help="write data + reward file + launch.sh")
    args = ap.parse_args(argv)
    try:
        recipe = load_recipe(args.recipe)
        plan = launch.plan(recipe, launch.KIND_OF[args.stage], args.stage, args.run_root or Path("runs") / recipe.name)
        if args.prepare:
            launch.prepare(plan, recipe)
        print(launch.describe(plan))
        if args.prepare:
            print(f"written: {plan.workdir}/launch.sh")
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
