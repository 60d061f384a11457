"""Does the micro recipe learn? SFT vs single-domain RL vs multi-task RL on each micro domain's eval split.

    python benchmarks/train_learning.py --recipe micro --seeds 0 1 [--domains math code science if] [--k 8]

For each seed: build the micro base (``harness.model.base_stage``), SFT, one GRPO run per domain and one multi-task
GRPO run (the same stage functions the pipeline calls, in ``runs-learning/<recipe>-s<seed>/``), then sample K
completions per eval problem (temperature 1.0, top-p 1.0, top-k 0) and print Avg@K with a 95% bootstrap CI over
problems, and RL - SFT with a paired bootstrap CI. Finished stages are reused (delete the folder to redo).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from harness.recipe import DOMAINS, load_recipe

_NLTK = Path(__file__).resolve().parents[1] / ".." / "shared" / "external" / "nltk_data"
if _NLTK.exists():
    os.environ.setdefault("NLTK_DATA", str(_NLTK.resolve()))  # the IF checkers' tokenizer data


def evaluate(model_dir: Path, examples: list[dict], k: int, seed: int, max_new_tokens: int, sandbox=None) -> np.ndarray:
    """Per-problem mean reward over k samples."""
    from harness.generation.hf import TransformersGenerator
    from harness.train.data import verifier

    gen = TransformersGenerator(model_dir, batch_size=512)
    outs = gen.generate([e["messages"] for e in examples], k,
                        {"temperature": 1.0, "top_p": 1.0, "max_new_tokens": max_new_tokens}, seed=seed)
    verify = verifier()
    from harness.train.rewards import RoutedReward

    rr = RoutedReward(verify, sandbox=sandbox, workers=4)
    flat_ex = [e for e in examples for _ in range(k)]
    flat = rr.score(flat_ex, [c for cs in outs for c in cs])
    return np.array(flat, dtype=float).reshape(len(examples), k).mean(1)


def ci(x: np.ndarray, seed: int = 0, n: int = 2000) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), (n, len(x)))].mean(1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def stage(run_root: Path, name: str, fn, *args) -> Path:
    d = run_root / name
    if (d / "model" / "config.json").exists():
        return d / "model"
    tmp = run_root / f".{name}.tmp"
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t0 = time.time()
    res = fn(*args, tmp)
    res = res or {}
    res["wall"] = round(time.time() - t0, 1)
    (tmp / "result.json").write_text(json.dumps(res, indent=1, default=str))
    shutil.rmtree(d, ignore_errors=True)
    tmp.rename(d)
    print(f"  {name}: {res.get('wall')} s wall, {res.get('device_seconds')} device-s", flush=True)
    return d / "model"


def run_seed(recipe, seed: int, args) -> list[dict]:
    from harness.model.base_stage import build_micro_base
    from harness.train import data, stages

    root = args.root / f"{recipe.name}-s{seed}"
    print(f"seed {seed}: {root}", flush=True)
    stage(root, "base", lambda out: build_micro_base(recipe.base.micro, seed, out))
    sft = stage(root, "sft", lambda out: stages.run_sft(recipe, root / "base" / "model", out, seed))
    variants = {"sft": sft}
    for d in args.domains:
        variants[f"rl-{d}"] = stage(root, f"rl-{d}", lambda out, d=d: stages.run_grpo(recipe, d, sft, out, seed))
    if not args.no_multi:
        variants["rl-multi"] = stage(root, "rl-multi", lambda out: stages.run_grpo(recipe, "multi", sft, out, seed))
    rows = []
    with stages.open_sandbox(recipe, "code" in args.domains) as sb:
        for d in args.domains:
            ev = data.splits(recipe, d, seed).eval
            g = recipe.grpo_for(d)
            scores = {v: evaluate(p, ev, args.k, seed, g.max_completion_length, sb) for v, p in variants.items()
                      if v in ("sft", f"rl-{d}", "rl-multi")}
            base = scores["sft"]
            for v, sc in scores.items():
                lo, hi = ci(sc)
                dlo, dhi = ci(sc - base)
                row = {"seed": seed, "domain": d, "variant": v, "avg": round(float(sc.mean()), 3),
                       "ci": [round(lo, 3), round(hi, 3)], "delta_vs_sft": round(float((sc - base).mean()), 3),
                       "delta_ci": [round(dlo, 3), round(dhi, 3)], "n": len(sc), "k": args.k}
                rows.append(row)
                print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", default="micro")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--domains", nargs="+", default=list(DOMAINS))
    ap.add_argument("--no-multi", action="store_true")
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--root", type=Path, default=Path("runs-learning"))
    args = ap.parse_args()
    recipe = load_recipe(args.recipe)
    rows = []
    for seed in args.seeds:
        rows += run_seed(recipe, seed, args)
    print("\n| seed | domain | variant | Avg@K [95% CI] | minus SFT [95% paired CI] |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['seed']} | {r['domain']} | {r['variant']} | {r['avg']:.3f} [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] "
              f"| {r['delta_vs_sft']:+.3f} [{r['delta_ci'][0]:+.3f}, {r['delta_ci'][1]:+.3f}] |")


if __name__ == "__main__":
    main()
