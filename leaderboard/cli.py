"""`mixmerge leaderboard --results DIR [--results DIR2 ...] --out DIR [--run runs/NAME]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.errors import UserError
from leaderboard.build import build
from leaderboard.collect import ledger_from_run


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", action="append", required=True, type=Path, metavar="DIR",
                   help="a results directory (<model>/<suite>/results.json below it); repeatable")
    p.add_argument("--out", required=True, type=Path, help="where leaderboard.csv/.html and plots go")
    p.add_argument("--run", type=Path, help="a run store (runs/<recipe>) whose stage manifests give the compute ledger")
    p.add_argument("--ledger", type=Path, help="JSON {stage: device_seconds} (instead of --run)")


def run(args) -> int:
    ledger = flops = None
    if args.ledger:
        try:
            ledger = {k: float(v) for k, v in json.loads(Path(args.ledger).read_text()).items()}
        except (OSError, ValueError, AttributeError) as e:
            raise UserError(f"--ledger {args.ledger}: expected a JSON object stage -> seconds ({e})") from None
    elif args.run:
        if not Path(args.run).is_dir():
            raise UserError(f"--run {args.run}: not a directory")
        ledger = ledger_from_run(args.run)
        flops = ledger_from_run(args.run, "flops")
    info = build(args.results, args.out, ledger, flops)
    print(f"leaderboard: {len(info['variants'])} variants x {len(info['benchmarks'])} benchmarks "
          f"({info['measured_rows']} measured rows, {info['paper_rows']} paper rows) -> {args.out}/leaderboard.html")
    return 0
