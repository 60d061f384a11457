"""``mixmerge score``: score a response file produced anywhere against a suite.

    mixmerge score --suite ifeval --data input_data.jsonl --responses responses.jsonl --out verdicts.jsonl

``--data`` is the suite's native format (.jsonl or .jsonl.gz; without it the suite loads from its hub id or
generator); ``--responses`` lines are ``{<id field>, response}`` or ``{<id field>, responses: [...]}``, or
``{prompt, response}`` (matched by prompt text). One verdict line per response goes to ``--out``; the metrics
are printed as one JSON object on the last line of stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from harness.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list", action="store_true", help="list the suites (name, domain, K, metric, source) and exit")
    parser.add_argument("--suite", help="suite name (see --list)")
    parser.add_argument("--data", help="the suite's data in its native format (.jsonl / .jsonl.gz; LiveCodeBench: "
                        "one release file, a directory of them, or several separated by commas)")
    parser.add_argument("--responses", help="JSONL of {<id>, response} or {<id>, responses: [...]}")
    parser.add_argument("--out", help="write one verdict line per response here")
    parser.add_argument("--sandbox", default="auto", help="sandbox backend for code suites (auto, docker, bwrap)")
    parser.add_argument("--skip-bad", action="store_true",
                        help="skip malformed or unmatched response lines (and report how many) instead of failing")


def _open_sandbox(domain: str, backend: str):
    if domain != "code":
        return contextlib.nullcontext(None)
    try:
        from harness.sandbox import get_sandbox
    except ImportError as e:
        raise UserError(f"code suites need harness.sandbox, which is not available: {e}") from None
    return get_sandbox(backend)


def run(args: argparse.Namespace) -> int:
    from domains.registry import get_suite
    from harness.scoring import match_responses, read_responses, score_samples

    if args.list:
        from domains.registry import all_suites

        for s in all_suites().values():
            print(f"{s.name:14} {s.domain:8} K={s.k:<3} {s.metric:9} {s.hub_id or '(generated / --data)':36} {s.description}")
        return 0
    if not args.suite or not args.responses:
        raise UserError("mixmerge score needs --suite NAME and --responses FILE (see --list for the suites)")
    suite = get_suite(args.suite)
    if args.data and not all(Path(p).exists() for p in args.data.split(",")):  # LCB: a directory or files,a,b
        raise UserError(f"--data {args.data}: no such file")
    examples = suite.load(args.data)
    bad: list[str] = []
    rows = read_responses(args.responses, skip_bad=args.skip_bad, bad=bad)
    by_id = match_responses(suite, examples, rows, skip_bad=args.skip_bad, bad=bad)
    with _open_sandbox(suite.domain, args.sandbox) as sandbox:
        verdicts, metrics = score_samples(suite, examples, by_id, sandbox=sandbox)
    if args.skip_bad:
        metrics["skipped_lines"] = len(bad)
        if bad:
            print(f"skipped {len(bad)} bad response line(s), first: {bad[0]}", file=sys.stderr)
    if metrics.get("checker_errors"):
        print(f"{metrics['checker_errors']} instruction check(s) raised or had unknown ids: counted as not "
              "followed (see details.errors in the verdicts)", file=sys.stderr)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            for row in verdicts:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(metrics))
    return 0
