"""GRPO step time on CPU for the micro model, per domain: generation vs reward (sandbox for code) vs the rest.

    python benchmarks/train_bench.py [--model DIR] [--recipe micro] [--steps 3] [--domains math code science if]
                                     [--rollouts trl decoder]

Per domain it runs ``--steps`` real GRPO steps with the recipe's settings (``prompts_per_step`` x ``group_size``
completions of up to ``max_completion_length`` tokens) through ``harness.train.stages.run_grpo`` and reads the
per-step timers the trainer logs: ``time/generation_s`` (TRL ``_generate``), ``time/reward_s`` (the routed reward
function; code through the sandbox pool) and the step's wall time; "rest" = wall - generation - reward (log-probs,
loss, backward, optimiser). Each domain runs once per ``--rollouts`` entry, back to back in the same process:
``trl`` (TRL's ``model.generate``) and ``decoder`` (the project's batched decoder, ``harness.train.rollout``), so
the two are compared under the same load. GFLOP/step is the stage ledger's FLOPs (``harness.ledger``) per step: what
the step computes, whatever the load. The first step is dropped as warm-up when more than one is run. A second table
verifies one rollout batch of *reference* responses per domain (real programs for code), so the sandbox cost of
correct code is visible even when the policy writes little runnable code. Without ``--model`` a randomly
initialised model of the recipe's ``base.micro`` size is built (same shapes and cost as the pretrained one, except
completion lengths). Prints medians; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from harness.recipe import DOMAINS, load_recipe

_NLTK = Path(__file__).resolve().parents[1] / ".." / "shared" / "external" / "nltk_data"
if _NLTK.exists():
    os.environ.setdefault("NLTK_DATA", str(_NLTK.resolve()))  # the IF checkers' tokenizer data


def micro_init(recipe, out: Path) -> Path:
    from domains.registry import micro_corpus
    from harness.model.build import make_qwen3, save_model_dir, train_tokenizer

    cfg = recipe.base.micro
    tok = train_tokenizer(micro_corpus(recipe.seed, 2000), vocab_size=cfg.vocab_size)
    return save_model_dir(make_qwen3(tok, seed=recipe.seed, **cfg.model_dump()), tok, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path)
    ap.add_argument("--recipe", default="micro")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--domains", nargs="+", default=list(DOMAINS))
    ap.add_argument("--rollouts", nargs="+", default=["trl", "decoder"], choices=["trl", "decoder"])
    args = ap.parse_args()
    from harness.train import data
    from harness.train.rewards import RoutedReward
    from harness.train.stages import open_sandbox, run_grpo

    recipe = load_recipe(args.recipe)
    work = Path(tempfile.mkdtemp(prefix="train-bench-"))
    model = args.model or micro_init(recipe, work / "init")
    recipe = recipe.with_grpo_steps(args.steps)
    print(f"model {model}; torch threads {torch.get_num_threads()}; {args.steps} steps per domain")
    rows = []
    for d, rollout in ((d, r) for d in args.domains for r in args.rollouts):
        g = recipe.grpo_for(d)
        out = work / f"{d}-{rollout}"
        t0 = time.perf_counter()
        res = run_grpo(recipe, d, model, out, recipe.seed, rollout=rollout)
        logs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
        walls = [b["wall_s"] - a["wall_s"] for a, b in zip([{"wall_s": 0.0}, *logs], logs, strict=False)]
        use = slice(1, None) if len(logs) > 1 else slice(None)
        gen = statistics.median(r["time/generation_s"] for r in logs[use])
        rew = statistics.median(r["time/reward_s"] for r in logs[use])
        wall = statistics.median(walls[use])
        row = {"domain": d, "rollout": rollout, "completions": g.prompts_per_step * g.group_size, "step_s": round(wall, 2),
               "generation_s": round(gen, 2), "reward_s": round(rew, 3), "rest_s": round(wall - gen - rew, 2),
               "completion_len": round(statistics.median(r["completion_length"] for r in logs[use]), 1),
               "gflop_step": round(res["compute_ledger"]["flops"] / 1e9 / max(1, res["compute_ledger"]["batches"]), 1),
               "device_s_total": res["device_seconds"], "run_wall_s": round(time.perf_counter() - t0, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("\n| domain | rollout | completions/step | step s | generation s | reward s | rest s | mean completion tokens "
          "| GFLOP/step (ledger) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['domain']} | {r['rollout']} | {r['completions']} | {r['step_s']} | {r['generation_s']} | "
              f"{r['reward_s']} | {r['rest_s']} | {r['completion_len']} | {r['gflop_step']} |")
    print("\nreward of one rollout batch of reference responses (the teacher's right ones; code = real programs in the sandbox)")
    with open_sandbox(recipe, "code" in args.domains) as sb:
        for d in args.domains:
            g = recipe.grpo_for(d)
            n = g.prompts_per_step * g.group_size
            sft = [e for e in data.splits(recipe, d, recipe.seed).sft if not e["meta"].get("teacher_error")]
            exs = [sft[i % len(sft)] for i in range(n)]
            rr = RoutedReward(data.verifier(), sandbox=sb, workers=recipe.sandbox.workers or 2)
            t0 = time.perf_counter()
            got = rr.score(exs, [e["meta"]["response"] for e in exs])
            dt = time.perf_counter() - t0
            print(f"  {d:<8} {n} samples: {dt:.3f} s ({1e3 * dt / n:.1f} ms/sample), mean reward {sum(got) / n:.2f}")


if __name__ == "__main__":
    main()
