"""Helpers shared by the training tests (a unique module name: several test folders have a conftest)."""

from __future__ import annotations


def tiny_recipe(**over):
    """The micro recipe shrunk to seconds: a few examples per domain, two steps, short completions."""
    from harness.recipe import Recipe

    data = {d: {"rl": 8, "sft": 8, "eval": 4} for d in ("math", "code", "science", "if", "general")}
    grpo = {"steps": 2, "prompts_per_step": 2, "group_size": 2, "max_completion_length": 8, "warmup_steps": 0}
    base = {"name": "tiny", "data": data, "sft": {"max_steps": 2, "batch_size": 4},
            "grpo": grpo, "rl_multi": {**grpo, "prompts_per_step": 4},
            "opd": {"steps": 2, "prompts_per_step": 2, "samples_per_prompt": 2, "max_completion_length": 8}}
    for k, v in over.items():
        base[k] = {**base.get(k, {}), **v} if isinstance(v, dict) else v
    return Recipe.model_validate(base)


def right(examples):
    """SFT examples whose reference is right (the micro teacher errs on a share of them)."""
    return [e for e in examples if not e["meta"].get("teacher_error")]
