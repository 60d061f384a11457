"""`mixmerge status`: one row per stage of a recipe: done / stale / failed / pending, with times."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.pipeline.runner import Runner
from harness.recipe import load_recipe


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--recipe", default="micro", help="recipe name or YAML path (default: micro)")
    p.add_argument("--runs", type=Path, default=Path("runs"), help="run store root (default: runs/)")


def run(args: argparse.Namespace) -> int:
    runner = Runner(load_recipe(args.recipe), args.runs)
    rows = runner.status_rows()
    table = Table(title=f"{runner.recipe.name}: {runner.root}")
    for col in ("stage", "state", "wall s", "device s", "finished"):
        table.add_column(col)
    colour = {"done": "green", "stale": "yellow", "failed": "red", "pending": "dim"}
    for r in rows:
        fmt = lambda v: f"{v:,.1f}" if isinstance(v, int | float) else "-"  # noqa: E731
        table.add_row(r["stage"], f"[{colour[r['state']]}]{r['state']}[/]", fmt(r["wall_seconds"]),
                      fmt(r["device_seconds"]), r["finished_at"] or "-")
    Console().print(table)
    done = sum(r["state"] == "done" for r in rows)
    print(f"{done}/{len(rows)} done")
    for r in rows:
        if r["state"] == "failed":
            print(f"{r['stage']} failed: its log (and traceback) is {runner.store.log_path(r['stage'])}")
    return 0
