"""`mixmerge` command line. One explicit table maps a command to the module that builds its parser.

Each command module exposes ``add_arguments(parser)`` and ``run(args) -> int``. A module that does
not exist yet makes its command exit 3 with one line saying so (no fake output).
"""

from __future__ import annotations

import os

# Before torch loads: OpenMP threads that spin while waiting make a shared or busy CPU 10x slower for small
# models (measured: 852 ms vs 68 ms per forward of the micro model on 2 busy cores). Users may override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import importlib  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402

from harness.errors import NotBuiltYet, UserError  # noqa: E402
from harness.paths import default_nltk_data  # noqa: E402

# command -> (module, one-line help). Explicit: adding a command is one line here + one module.
COMMANDS: dict[str, tuple[str, str]] = {
    "reproduce": ("harness.pipeline.cli", "run the study of a recipe end to end (resumable)"),
    "status": ("harness.pipeline.status_cli", "table of a recipe's stages: done/pending/failed, time"),
    "train": ("harness.train.cli", "train one stage: sft | grpo | opd (local TRL or OpenRLHF)"),
    "merge": ("harness.merge.cli", "merge single-domain models (average, ta, ties, ties_dare, ta_dare, sce)"),
    "eval": ("harness.eval.cli", "evaluate a model directory or endpoint on suites (Avg@K, CIs)"),
    "compare": ("harness.eval.compare_cli", "paired bootstrap difference between two evaluated models"),
    "score": ("harness.eval.score_cli", "score an existing response file against a suite"),
    "leaderboard": ("leaderboard.cli", "build leaderboard.csv / leaderboard.html from result dirs"),
    "analyze": ("harness.analysis.cli", "mechanism analyses: weights, policy, inheritance, compute"),
    "sandbox": ("harness.sandbox.cli", "build the sandbox image and check isolation"),
}


def _load(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and module.startswith(e.name):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mixmerge", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        mod = _load(module)
        if mod is None:
            p.set_defaults(_run=None, _module=module)
            p.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        else:
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run, _module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    default_nltk_data()
    if not args.command:
        parser.print_help()
        return 2
    try:
        if args._run is None:
            raise NotBuiltYet(f"mixmerge {args.command}: not built yet ({args._module} does not exist)")
        return int(args._run(args) or 0)
    except UserError as e:
        print(f"mixmerge {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"mixmerge {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
