"""Compare a fresh leaderboard with a committed reference one (``results/<recipe>-seed<N>.csv``).

    python -m leaderboard.reference_check runs/micro/leaderboard/leaderboard.csv results/micro-seed0.csv [--tol 0]

Every measured accuracy row of the reference (variant, benchmark) must be in the fresh leaderboard, and the fresh
value must lie inside the reference's 95% bootstrap CI widened by ``--tol`` points on each side. The CI is the
tolerance because a run on another machine samples differently as soon as one float differs (thread count, the
CPU's kernels), and from then on it is another draw of the same study: problems answered differ by about what the
CI over problems allows. Exit 0 when all rows hold, 1 (listing them) when some do not, 2 on unreadable files.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from harness.errors import UserError


def read_accuracy(path: Path) -> dict[tuple[str, str], dict[str, float]]:
    path = Path(path)
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None
    out = {}
    for i, r in enumerate(rows, 2):
        if r.get("source") != "measured" or r.get("metric") != "accuracy":
            continue
        try:
            out[r["variant"], r["benchmark"]] = {k: float(r[k]) for k in ("value", "ci_low", "ci_high")}
        except (KeyError, TypeError, ValueError):
            raise UserError(f"{path}:{i}: expected numbers in value, ci_low, ci_high") from None
    if not out:
        raise UserError(f"{path}: no measured accuracy rows (a leaderboard.csv written by `mixmerge leaderboard`)")
    return out


def compare(fresh: Path, reference: Path, tol: float = 0.0) -> list[str]:
    """The reference rows the fresh leaderboard misses or falls outside of; empty when all hold."""
    new, ref = read_accuracy(fresh), read_accuracy(reference)
    bad = []
    for key, r in sorted(ref.items()):
        f = new.get(key)
        lo, hi = r["ci_low"] - tol, r["ci_high"] + tol
        if f is None:
            bad.append(f"{key[0]} / {key[1]}: missing from {fresh}")
        elif not lo <= f["value"] <= hi:
            bad.append(f"{key[0]} / {key[1]}: {f['value']:.2f} outside [{lo:.2f}, {hi:.2f}] (reference {r['value']:.2f})")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m leaderboard.reference_check", description=__doc__.splitlines()[0])
    ap.add_argument("fresh", type=Path)
    ap.add_argument("reference", type=Path)
    ap.add_argument("--tol", type=float, default=0.0, help="points added to each side of the reference CI")
    args = ap.parse_args(argv)
    try:
        bad = compare(args.fresh, args.reference, args.tol)
    except UserError as e:
        print(f"reference_check: error: {e}", file=sys.stderr)
        return 2
    n = len(read_accuracy(args.reference))
    for line in bad:
        print(f"  {line}")
    print(f"{n - len(bad)}/{n} reference rows hold ({args.fresh} vs {args.reference}, CI ± {args.tol} points)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
