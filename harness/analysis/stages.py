"""Pipeline stage ``analysis``: the four mechanism analyses over a run's models and evaluations.

Inputs (stage name -> finished stage dir): ``sft``, ``rl-<domain>``, ``rl-multi``, ``merge-*``, ``opd-multi``
and ``eval-<variant>`` (each holding ``<model-name>/<suite>/samples.jsonl``). Writes ``weights/``,
``policy/``, ``inheritance/``, ``compute/`` and ``analysis.json`` (what ran, and why anything was skipped)
under ``ctx.out``. An analysis is skipped — and says so — only when its inputs are absent (e.g. no eval
samples); any other failure fails the stage.
"""

from __future__ import annotations

import json

from harness.analysis.compute import analyze_compute
from harness.analysis.inheritance import analyze_inheritance
from harness.analysis.policy import analyze_policy, load_prompts
from harness.analysis.samples import find_samples, list_suites
from harness.analysis.weights import analyze_weights
from harness.pipeline.context import StageContext
from harness.recipe import DOMAINS

POLICY_PROMPTS_PER_SUITE = 4  # the policy analysis samples every policy: keep it a probe, not an eval
POLICY_SAMPLES = 2
POLICY_MAX_NEW_TOKENS = 48


def analysis_stage(ctx: StageContext) -> dict:
    singles = [f"rl-{d}" for d in DOMAINS if f"rl-{d}" in ctx.inputs]
    others = [s for s in ctx.inputs if s in ("rl-multi", "opd-multi") or s.startswith("merge-")]
    models = {s: ctx.model_dir(s) for s in singles + others if (ctx.model_dir(s) / "config.json").exists()}
    done: dict[str, object] = {}
    skipped: dict[str, str] = {}

    # task vectors of the trained models (a merge's is a combination of the singles'); one tensor of each is
    # held at a time, so six models keep a 4B run's largest tensor (the embedding) at ~6 x 1.6 GB in float32
    trained = {s: models[s] for s in [*singles, "rl-multi", "opd-multi"] if s in models}
    if "sft" in ctx.inputs and trained:
        res = analyze_weights(ctx.model_dir("sft"), trained, ctx.out / "weights", seed=ctx.seed)
        done["weights"] = {"pairs": len(res["pairs"])}
    else:
        skipped["weights"] = "no sft model or no fine-tuned models among the inputs"

    evals = {s.removeprefix("eval-"): ctx.inputs[s] for s in ctx.inputs if s.startswith("eval-")}
    ref_eval = evals.get("sft") or next(iter(evals.values()), None)
    suites = list_suites(ref_eval) if ref_eval else []
    if not suites:
        skipped["policy"] = skipped["inheritance"] = "no eval samples (<eval dir>/<model>/<suite>/samples.jsonl)"
    else:
        prompts = [p for s in suites for p in load_prompts(find_samples(ref_eval, s), POLICY_PROMPTS_PER_SUITE)]
        pol_models = {s: models[s] for s in [*singles, "rl-multi", "opd-multi"] if s in models}
        if len(pol_models) >= 2:
            res = analyze_policy(pol_models, prompts, ctx.out / "policy", n=POLICY_SAMPLES,
                                 max_new_tokens=POLICY_MAX_NEW_TOKENS, seed=ctx.seed,
                                 eval_dirs={m: evals[m] for m in [*pol_models, "sft"] if m in evals},
                                 suites=suites, reference="sft" if "sft" in evals else None)
            done["policy"] = {"pairs": len(res["pairs"]), "prompts": len(prompts)}
        else:
            skipped["policy"] = "fewer than two policies among the inputs"
        cands = {m: evals[m] for m in others if m in evals}
        single_evals = {m: evals[m] for m in singles if m in evals}
        if cands and single_evals:
            res = analyze_inheritance(cands, single_evals, ctx.out / "inheritance", suites=suites)
            done["inheritance"] = res["summary"]
        else:
            skipped["inheritance"] = "needs eval samples of a merged/multi model and of the single-domain models"

    res = analyze_compute(ctx.run_root, ctx.out / "compute")
    done["compute"] = {"multi_over_singles": res["multi_over_singles"],
                       "paper_multi_over_singles": res["paper"]["multi_over_singles"]}
    summary = {"done": done, "skipped": skipped}
    (ctx.out / "analysis.json").write_text(json.dumps(summary, indent=2))
    for name, why in skipped.items():
        ctx.log.warning("analysis %s skipped: %s", name, why)
    return {"analysis": summary}
