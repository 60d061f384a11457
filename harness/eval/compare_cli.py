"""`mixmerge compare A B --suite S [--results DIR]`: A - B over the same problems with a paired bootstrap CI.

A and B are model names under ``--results`` (``DIR/<model>/<suite>/samples.jsonl``), result directories
of the suite, or ``samples.jsonl`` files. Per problem the score is the mean correctness of its K samples.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.errors import UserError
from harness.eval.metrics import paired_bootstrap


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", help="model name under --results, a results dir, or a samples.jsonl")
    p.add_argument("b", help="the model to compare against (same forms)")
    p.add_argument("--suite", required=True, help="suite both were evaluated on")
    p.add_argument("--results", type=Path, default=Path("results"), help="where `mixmerge eval --out` wrote")
    p.add_argument("--n-boot", type=int, default=10000, help="bootstrap resamples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def samples_path(spec: str, suite: str, results: Path) -> Path:
    for cand in (Path(spec), Path(spec) / "samples.jsonl", Path(spec) / suite / "samples.jsonl",
                 results / spec / suite / "samples.jsonl"):
        if cand.is_file():
            return cand
    raise UserError(f"no samples for {spec!r} on suite {suite!r}: looked for {results / spec / suite / 'samples.jsonl'} "
                    "(evaluate it first with `mixmerge eval`, or pass a samples.jsonl)")


def per_problem(path: Path) -> dict[str, float]:
    by_id: dict[str, list[float]] = {}
    for i, line in enumerate(path.read_text().splitlines(), 1):
        try:
            row = json.loads(line)
            by_id.setdefault(str(row["id"]), []).append(1.0 if row["verdict"]["correct"] else 0.0)
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise UserError(f"{path}:{i}: not a samples.jsonl line ({e})") from None
    return {k: sum(v) / len(v) for k, v in by_id.items()}


def compare(a: Path, b: Path, *, n_boot: int = 10000, seed: int = 0) -> dict:
    pa, pb = per_problem(a), per_problem(b)
    if set(pa) != set(pb):
        only = sorted(set(pa) ^ set(pb))
        raise UserError(f"{a} and {b} score different problems ({len(only)} not shared, e.g. {only[0]!r}); "
                        "a paired comparison needs the same problems (same suite, same --limit)")
    ids = sorted(pa)
    res = paired_bootstrap([pa[i] for i in ids], [pb[i] for i in ids], n_boot=n_boot, seed=seed)
    return {**res, "a_accuracy": sum(pa.values()) / len(pa), "b_accuracy": sum(pb.values()) / len(pb)}


def run(args) -> int:
    a, b = samples_path(args.a, args.suite, args.results), samples_path(args.b, args.suite, args.results)
    r = compare(a, b, n_boot=args.n_boot, seed=args.seed)
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    print(f"{args.suite}: {args.a} {100 * r['a_accuracy']:.2f} vs {args.b} {100 * r['b_accuracy']:.2f} (n={r['n']})")
    print(f"difference {100 * r['diff']:+.2f} points, 95% paired bootstrap CI [{100 * r['ci_low']:+.2f}, "
          f"{100 * r['ci_high']:+.2f}], p={r['p_value']:.4f}")
    return 0
