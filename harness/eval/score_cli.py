"""``mixmerge score``: score a response file produced anywhere against a suite.

    mixmerge score --suite ifeval --data input_data.jsonl --responses responses.jsonl --out verdicts.jsonl

``--data`` is the suite's native format (.jsonl or .jsonl.gz; without it the suite loads from its hub id or
generator); ``--responses`` lines are ``{<id field>, response}`` or ``{<id field>, responses: [...]}``, or
``{prompt, response}`` (matched by prompt text). A response for an example not in the loaded set (filtered by
the suite, or not in this data) is counted (``n_filtered_responses``) and left out. GPQA responses may carry the
choice order they were produced under (``permutation``, ``choices`` or ``answer_text``; see
``domains.science.suites``). One verdict line per response goes to ``--out``; the metrics are printed as one
JSON object on the last line of stdout.
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
    parser.add_argument("--think-gate", action="store_true",
                        help="score 0 for a response without a closing </think> (the paper's scorer does)")
    parser.add_argument("--judge-url", help="HLE: an OpenAI-compatible endpoint (…/v1) whose model judges the "
                        "exact-match questions as HLE's official grader does; without it HLE is a judge-free lower bound")
    parser.add_argument("--judge-model", default="o3-mini", help="the judge's model name (HLE's: o3-mini)")
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


class _Sink:
    """Writes each verdict line as it is made (flushed), so an error later in the run loses nothing."""

    def __init__(self, fh) -> None:
        self.fh, self.n = fh, 0

    def __call__(self, row: dict) -> None:
        if self.fh is not None:
            self.fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.fh.flush()
        self.n += 1


@contextlib.contextmanager
def _verdict_sink(path: str | None):
    if not path:
        yield _Sink(None)
        return
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        yield _Sink(fh)


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
    judge = None
    if args.judge_url:
        if suite.name != "hle":
            raise UserError(f"--judge-url: only the hle suite has a judge, not {suite.name}")
        import os

        from domains.science.judge import OpenAIJudge

        judge = OpenAIJudge(args.judge_url, args.judge_model, os.environ.get("OPENAI_API_KEY"))
    with _verdict_sink(args.out) as sink, _open_sandbox(suite.domain, args.sandbox) as sandbox:
        try:
            _, metrics = score_samples(suite, examples, by_id, sandbox=sandbox, think_gate=args.think_gate,
                                       judge=judge, on_row=sink)
        except UserError as e:
            kept = f" ({sink.n} verdict(s) scored before it are in {args.out})" if args.out else ""
            raise UserError(f"{e}{kept}") from None
    if by_id.filtered:
        print(f"{len(by_id.filtered)} response(s) for examples not in the loaded set were left out (filtered by "
              f"the suite or not in this data), first: {by_id.filtered[0]}", file=sys.stderr)
    ours = [o for o in metrics.get("letters_order", {}) if o.startswith("ours")]
    if ours:
        n = metrics["letters_order"][ours[0]]
        print(f"warning: {n} {suite.name} response(s) carry no choice order (permutation / choices / answer_text): "
              f"their letters were read against this project's order, {ours[0]}; responses produced under another "
              "harness's shuffle are mis-scored", file=sys.stderr)
    if args.skip_bad:
        metrics["skipped_lines"] = len(bad)
        if bad:
            print(f"skipped {len(bad)} bad response line(s), first: {bad[0]}", file=sys.stderr)
    if metrics.get("checker_errors"):
        print(f"{metrics['checker_errors']} instruction check(s) raised or had unknown ids: counted as not "
              "followed (see details.errors in the verdicts)", file=sys.stderr)
    print(json.dumps(metrics))
    return 0
