"""`mixmerge eval --model PATH|URL --suites a,b [--k K] [--limit N] [--out DIR] [--backend ...] [--isolate docker]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import UserError
from harness.generation import BACKENDS

DEFAULT_SUITES = "micro-math,micro-code,micro-science,micro-if,micro-general"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="Hugging Face model directory, or an OpenAI-compatible URL")
    p.add_argument("--suites", default=DEFAULT_SUITES, help=f"comma-separated suite names (default: {DEFAULT_SUITES})")
    p.add_argument("--k", type=int, help="samples per problem (default: the suite's K)")
    p.add_argument("--limit", type=int, help="first N problems of each suite")
    p.add_argument("--out", type=Path, default=Path("results"), help="results go to OUT/<model-name>/<suite>/")
    p.add_argument("--backend", choices=list(BACKENDS), help="default: openai for a URL, else transformers")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--temperature", type=float, help="override the suites' (paper: 1.0)")
    p.add_argument("--top-p", type=float, help="override the suites' (paper: 0.7)")
    p.add_argument("--max-new-tokens", type=int, help="override the suites' (paper: 32768)")
    p.add_argument("--stop", action="append", help="stop string (repeatable); overrides the suites'")
    p.add_argument("--data", action="append", default=[], metavar="SUITE=FILE",
                   help="local file (native format) for a public suite instead of its hub id; repeatable "
                        "(LiveCodeBench: a directory of release files, or several files separated by commas)")
    p.add_argument("--model-name", help="folder name under OUT (default: the model directory's name)")
    p.add_argument("--sandbox", default="auto", choices=["auto", "docker", "bwrap"], help="code execution sandbox")
    p.add_argument("--batch-size", type=int, default=256, help="transformers: sequences per forward batch")
    p.add_argument("--concurrency", type=int, default=8, help="openai: parallel requests")
    p.add_argument("--served-model", help="openai: model name to request (default: the server's first)")
    p.add_argument("--think-gate", action="store_true",
                   help="score 0 for a sample without a closing </think> (the paper's scorer); results record it")
    p.add_argument("--judge-url", help="HLE: an OpenAI-compatible endpoint whose model judges exact-match questions "
                   "(HLE's official grader is an o3-mini judge); without it HLE is a judge-free lower bound")
    p.add_argument("--judge-model", default="o3-mini", help="the judge's model name")
    p.add_argument("--isolate", choices=["none", "docker"], default="none",
                   help="docker: run the whole evaluation inside the docker/eval image")
    p.add_argument("--image", default="mixmerge-eval:cpu", help="image for --isolate docker")


def _data(items: list[str]) -> dict[str, str]:
    out = {}
    for it in items:
        suite, sep, path = it.partition("=")
        if not sep or not suite or not path:
            raise UserError(f"--data {it!r}: expected SUITE=FILE")
        if not all(Path(p).exists() for p in path.split(",")):  # LiveCodeBench: a directory, or files a,b
            raise UserError(f"--data {it!r}: {path} does not exist")
        out[suite] = path
    return out


def run(args) -> int:
    from harness.generation import is_url

    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    backend = args.backend or ("openai" if is_url(args.model) else "transformers")
    overrides = {"temperature": args.temperature, "top_p": args.top_p, "max_new_tokens": args.max_new_tokens,
                 "stop": args.stop}
    if args.isolate == "docker":
        from harness.eval.isolate import run_isolated

        return run_isolated(args, suites, backend)
    from harness.eval.runner import evaluate

    opts = {"batch_size": args.batch_size} if backend == "transformers" else {}
    if backend == "openai":
        opts = {"concurrency": args.concurrency, "served_model": args.served_model}
    results = evaluate(args.model, suites, args.out, k=args.k, limit=args.limit, backend=backend,
                       overrides=overrides, seed=args.seed, sandbox=args.sandbox, data=_data(args.data),
                       model_name=args.model_name, generator_opts=opts, think_gate=args.think_gate,
                       judge={"url": args.judge_url, "model": args.judge_model} if args.judge_url else None)
    print(f"{'suite':<16} {'accuracy':>9} {'95% CI':>17} {'n':>6} {'K':>3}")
    for name, r in results.items():
        m = r["metrics"]
        print(f"{name:<16} {100 * m['accuracy']:9.2f} [{100 * m['ci_low']:6.2f}, {100 * m['ci_high']:6.2f}] "
              f"{r['n']:6d} {r['k']:3d}")
    first = next(iter(results.values()))
    print(f"results: {Path(args.out) / first['model']}/<suite>/results.json")
    return 0
