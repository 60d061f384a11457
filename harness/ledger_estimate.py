"""The compute ledger estimated from a recipe alone (what ``mixmerge reproduce --dry-run`` prints beside the plan).

Per training stage: samples = steps × prompts per step × samples per prompt (SFT: examples × epochs), tokens =
samples × expected lengths, FLOPs as in ``harness.ledger`` (≈2·N per generated/prefilled/forwarded token, ≈6·N per
trained token, N = all parameters). Expected lengths are the one assumption: the paper reports no mean lengths, so a
sequence is taken to fill ``FILL`` of its recipe limit (``max_completion_length``, ``max_prompt_length``, SFT
``max_length``). The ratio multi-task / four single-domain runs then follows from step counts and limits; the
paper's 33.2% (GPU hours) says its rollouts were far from uniform in length across domains.
"""

from __future__ import annotations

from harness.ledger import SINGLES, flops
from harness.recipe import DOMAINS, GRPOStage, Recipe

FILL = {"completion": 0.5, "prompt": 0.25, "sft": 0.5}  # assumed mean length / the recipe's limit

# the architecture of hub base models, for counting N without downloading (Qwen3-4B-Base's config.json)
KNOWN_ARCH = {
    "Qwen/Qwen3-4B-Base": dict(vocab_size=151936, hidden_size=2560, intermediate_size=9728, num_hidden_layers=36,
                               num_attention_heads=32, num_key_value_heads=8, head_dim=128, tie_word_embeddings=True),
}


def recipe_params(recipe: Recipe) -> int | None:
    """N of the recipe's base model: counted on the meta device from its architecture (no weights, no download)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, Qwen3Config

    name = recipe.base.model
    if name is None:
        m = recipe.base.micro
        cfg = Qwen3Config(vocab_size=m.vocab_size, hidden_size=m.hidden_size, intermediate_size=m.intermediate_size,
                          num_hidden_layers=m.num_hidden_layers, num_attention_heads=m.num_attention_heads,
                          num_key_value_heads=m.num_key_value_heads, head_dim=m.head_dim, tie_word_embeddings=True)
    elif name in KNOWN_ARCH:
        cfg = Qwen3Config(**KNOWN_ARCH[name])
    else:
        try:
            cfg = AutoConfig.from_pretrained(name, local_files_only=True)
        except (OSError, ValueError):
            return None
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg)
    return int(sum(p.numel() for p in model.parameters()))


def _nograd_forwards(g: GRPOStage) -> int:
    """No-grad forwards per rollout: OpenRLHF computes the actor's and the (loaded) reference model's log-probs;
    TRL with one update per rollout batch only the reference's, and only when the KL coefficient is not 0."""
    if g.backend == "openrlhf":
        return 2
    return 1 if g.kl_coef else 0


def _grpo(g: GRPOStage, n: int, group: int) -> dict:
    samples = g.steps * g.prompts_per_step * group
    gen = samples * FILL["completion"] * g.max_completion_length
    prompt = samples * FILL["prompt"] * g.max_prompt_length
    fwd = _nograd_forwards(g) * (gen + prompt)
    return {"samples": samples, "generated_tokens": gen, "prompt_tokens": prompt, "forwarded_tokens": fwd,
            "trained_tokens": gen + prompt, "flops": flops(n, gen + prompt + fwd, gen + prompt)}


def estimate(recipe: Recipe) -> dict:
    """``{"params": N, "fill": FILL, "stages": {stage: {samples, *_tokens, flops}}, "multi_over_singles": {...}}``."""
    n = recipe_params(recipe) or 0
    stages: dict[str, dict] = {}
    s = recipe.sft
    examples = s.samples or sum(recipe.data[d].sft for d, w in s.blend.items() if w > 0 and d in recipe.data)
    sft_tokens = examples * s.epochs * FILL["sft"] * s.max_length
    stages["sft"] = {"samples": examples * s.epochs, "generated_tokens": 0, "prompt_tokens": 0, "forwarded_tokens": 0,
                     "trained_tokens": sft_tokens, "flops": flops(n, 0, sft_tokens)}
    for d in DOMAINS:
        g = recipe.grpo_for(d)
        stages[f"rl-{d}"] = _grpo(g, n, g.group_size)
    stages["rl-multi"] = _grpo(recipe.rl_multi, n, recipe.rl_multi.group_size)
    o = recipe.opd
    samples = o.steps * o.prompts_per_step * o.samples_per_prompt
    gen = samples * FILL["completion"] * o.max_completion_length
    prompt = samples * FILL["prompt"] * recipe.grpo.max_prompt_length
    stages["opd-multi"] = {"samples": samples, "generated_tokens": gen, "prompt_tokens": prompt,
                           "forwarded_tokens": gen + prompt, "trained_tokens": gen + prompt,  # teacher forward
                           "flops": flops(n, 2 * (gen + prompt), gen + prompt)}
    singles = {k: sum(stages[x][k] for x in SINGLES) for k in ("flops", "generated_tokens")}
    ratios = {k: stages["rl-multi"][k] / v if v else None for k, v in singles.items()}
    return {"params": n, "fill": dict(FILL), "stages": stages, "multi_over_singles": ratios}


def _num(x: float) -> str:
    for unit, scale in (("Z", 1e21), ("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.3g}"


def format_estimate(recipe: Recipe) -> str:
    est = estimate(recipe)
    lines = [f"compute ledger, estimated from the recipe (N = {_num(est['params'])} parameters, all counted; a "
             f"sequence assumed to fill {est['fill']['completion']:.0%} of max_completion_length, "
             f"{est['fill']['prompt']:.0%} of max_prompt_length, SFT {est['fill']['sft']:.0%} of max_length):",
             f"  {'stage':<12} {'samples':>9} {'generated':>10} {'forwarded':>10} {'trained':>10} {'FLOPs':>9}"]
    for name, r in est["stages"].items():
        lines.append(f"  {name:<12} {_num(r['samples']):>9} {_num(r['generated_tokens']):>10} "
                     f"{_num(r['forwarded_tokens']):>10} {_num(r['trained_tokens']):>10} {_num(r['flops']):>9}")
    f, t = est["multi_over_singles"]["flops"], est["multi_over_singles"]["generated_tokens"]
    paper = ""
    if recipe.gpu_hours and all(s in recipe.gpu_hours for s in (*SINGLES, "rl-multi")):
        paper = (f"; the paper's GPU hours give {recipe.gpu_hours['rl-multi'] / sum(recipe.gpu_hours[s] for s in SINGLES):.1%}"
                 " (measured time, set by the rollouts' real lengths)")
    lines.append(f"  rl-multi / four single-domain runs: {f:.1%} of the FLOPs, {t:.1%} of the generated tokens{paper}")
    return "\n".join(lines)
