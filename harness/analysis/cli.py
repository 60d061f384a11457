"""`mixmerge analyze weights|policy|inheritance|compute`: the paper's mechanism analyses.

Models and eval directories are given as ``PATH`` or ``LABEL=PATH`` (default label: the directory's name,
or its parent's when the directory is called ``model``, as in a pipeline stage).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.errors import UserError

ANALYSES = ("weights", "policy", "inheritance", "compute")


def labelled(items: list[str] | None) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for item in items or []:
        label, sep, path = item.partition("=")
        p = Path(path if sep else label)
        if not sep:
            label = p.parent.name if p.name == "model" else p.name
        if label in out:
            raise UserError(f"label {label!r} given twice; use LABEL=PATH to name them apart")
        out[label] = p
    return out


def _pairs(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        k, sep, v = item.partition("=")
        if not sep:
            raise UserError(f"{item!r}: expected SUITE=DOMAIN")
        out[k] = v
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="analysis", metavar="ANALYSIS", required=True)
    w = sub.add_parser("weights", help="task vectors: exact and JL-projected cosine, footprint overlap")
    w.add_argument("--base", required=True, help="the common base (SFT model directory)")
    w.add_argument("--models", nargs="+", required=True, metavar="[LABEL=]DIR")
    w.add_argument("--out", required=True)
    w.add_argument("--top-p", type=float, default=0.2, help="footprint: top fraction of |Δ| per tensor (0.2)")
    w.add_argument("--projection", default="sparse", help="sparse (count-sketch JL, O(D)) | gaussian (dense JL)")
    w.add_argument("--rp-dim", type=int, help="projection dimension (sparse 16384, gaussian 1024)")
    w.add_argument("--seed", type=int, default=0, help="projection seed")
    w.add_argument("--no-exact", action="store_true", help="skip the exact cosine (projection only)")

    pol = sub.add_parser("policy", help="token-level KL between every pair of policies, next to accuracy")
    pol.add_argument("--models", nargs="+", required=True, metavar="[LABEL=]DIR")
    pol.add_argument("--prompts", required=True, help="JSONL with 'messages' or 'prompt' (e.g. an eval samples.jsonl)")
    pol.add_argument("--limit", type=int, default=16, help="first N prompts")
    pol.add_argument("--n", type=int, default=2, help="samples per prompt per policy")
    pol.add_argument("--max-new-tokens", type=int, default=64)
    pol.add_argument("--temperature", type=float, default=1.0)
    pol.add_argument("--seed", type=int, default=0)
    pol.add_argument("--eval", nargs="*", metavar="[LABEL=]DIR", help="eval dirs (labels as --models) for accuracy")
    pol.add_argument("--suite", nargs="*", help="suites whose accuracy to report")
    pol.add_argument("--reference", help="label whose accuracy transfer is measured against (e.g. sft)")
    pol.add_argument("--out", required=True)

    inh = sub.add_parser("inheritance", help="per problem: does the merged/multi model answer like its domain's expert")
    inh.add_argument("--merged", nargs="+", required=True, metavar="[LABEL=]EVAL_DIR")
    inh.add_argument("--singles", nargs="+", required=True, metavar="DOMAIN=EVAL_DIR",
                     help="single-domain models' eval dirs labelled by domain (math=..., code=...)")
    inh.add_argument("--suite", nargs="*", help="suites (default: all under the first single's dir)")
    inh.add_argument("--suite-domain", nargs="*", metavar="SUITE=DOMAIN", help="domain of a suite not named by it")
    inh.add_argument("--out", required=True)

    c = sub.add_parser("compute", help="device-hours per stage; multi-task RL vs the four single-domain runs")
    c.add_argument("--runs", required=True, help="a run directory, runs/<recipe>")
    c.add_argument("--out", help="write compute.json / compute.csv here")


def run(args: argparse.Namespace) -> int:
    if args.analysis == "weights":
        from harness.analysis.weights import analyze_weights

        res = analyze_weights(args.base, labelled(args.models), Path(args.out), top_p=args.top_p,
                              rp_dim=args.rp_dim, projection=args.projection, seed=args.seed, exact=not args.no_exact)
        for p in res["pairs"]:
            print(json.dumps(p))
    elif args.analysis == "policy":
        from harness.analysis.policy import analyze_policy, load_prompts

        res = analyze_policy(labelled(args.models), load_prompts(Path(args.prompts), args.limit), Path(args.out),
                             n=args.n, max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                             seed=args.seed, eval_dirs=labelled(args.eval), suites=args.suite,
                             reference=args.reference)
        for p in res["pairs"]:
            print(json.dumps(p))
    elif args.analysis == "inheritance":
        from harness.analysis.inheritance import analyze_inheritance

        res = analyze_inheritance(labelled(args.merged), labelled(args.singles), Path(args.out), suites=args.suite,
                                  suite_domains=_pairs(args.suite_domain))
        print(json.dumps(res["summary"], indent=2))
    else:
        from harness.analysis.compute import analyze_compute, format_compute

        res = analyze_compute(Path(args.runs), Path(args.out) if args.out else None)
        print(format_compute(res))
    return 0
