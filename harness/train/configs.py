"""TRL configs built from recipe sections, with the settings that make TRL 1.16 behave on CPU.

From ``../shared/notes/micro-rl-on-cpu.md``: ``bf16=False, use_cpu=True`` without a GPU (bf16 defaults on and errors
there; CPU autocast bf16 is slower), no gradient checkpointing, top-k 0, ``per_device_train_batch_size`` counts
completions. One optimiser update per rollout batch (``steps_per_generation=1``), logging every step, no checkpoints
(the stage saves its model itself), TensorBoard written by our own callback.
"""

from __future__ import annotations

from pathlib import Path

import torch
from trl import DistillationConfig, GRPOConfig, SFTConfig

from harness.recipe import GRPOStage, OPDStage, SFTStage


def device_args(seed: int, *, bf16: bool | None = None) -> dict:
    cuda = torch.cuda.is_available()
    return {
        "use_cpu": not cuda,
        "bf16": bool(cuda and bf16),
        "fp16": False,
        "gradient_checkpointing": False,
        "seed": seed,
        "data_seed": seed,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "dataloader_num_workers": 0,
        "disable_tqdm": False,
    }


def sft_args(out: Path, s: SFTStage, *, seed: int, bf16: bool | None = None) -> SFTConfig:
    return SFTConfig(
        output_dir=str(out),
        assistant_only_loss=True,
        packing=False,
        max_length=s.max_length,
        per_device_train_batch_size=s.batch_size,
        gradient_accumulation_steps=1,
        num_train_epochs=s.epochs,
        max_steps=s.max_steps,
        learning_rate=s.learning_rate,
        lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs={"min_lr_rate": s.min_lr_ratio},
        warmup_steps=s.warmup_ratio,  # a float < 1 is a fraction of the steps in transformers 5
        adam_beta1=s.adam_betas[0],
        adam_beta2=s.adam_betas[1],
        weight_decay=s.weight_decay,
        dataset_num_proc=None,
        **device_args(seed, bf16=bf16),
    )


def grpo_args(out: Path, g: GRPOStage, *, seed: int, shuffle: bool = True, bf16: bool | None = None) -> GRPOConfig:
    """``prompts_per_step`` prompts x ``group_size`` samples, one optimiser update per rollout batch."""
    return GRPOConfig(
        output_dir=str(out),
        max_steps=g.steps,
        learning_rate=g.learning_rate,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=g.warmup_steps,
        adam_beta1=g.adam_betas[0],
        adam_beta2=g.adam_betas[1],
        weight_decay=g.weight_decay,
        per_device_train_batch_size=g.prompts_per_step * g.group_size,
        gradient_accumulation_steps=1,
        steps_per_generation=1,
        num_iterations=1,
        num_generations=g.group_size,
        beta=g.kl_coef,
        epsilon=g.eps_low,
        epsilon_high=g.eps_high,
        temperature=g.temperature,
        top_p=g.top_p,
        top_k=0,
        max_completion_length=g.max_completion_length,
        shuffle_dataset=shuffle,
        remove_unused_columns=False,
        **device_args(seed, bf16=bf16),
    )


def distillation_args(out: Path, *, seed: int, steps: int, learning_rate: float, batch_size: int,
                      max_completion_length: int, temperature: float, shuffle: bool = True,
                      bf16: bool | None = None) -> DistillationConfig:
    """``beta=1.0``: TRL's generalised JSD is then exactly reverse KL(student || teacher)."""
    return DistillationConfig(
        output_dir=str(out),
        max_steps=steps,
        learning_rate=learning_rate,
        lr_scheduler_type="constant",
        per_device_train_batch_size=batch_size,
        gradient_accumulation_steps=1,
        beta=1.0,
        temperature=temperature,
        top_p=1.0,
        top_k=0,
        max_completion_length=max_completion_length,
        shuffle_dataset=shuffle,
        remove_unused_columns=False,
        **device_args(seed, bf16=bf16),
    )


def opd_args(out: Path, o: OPDStage, *, seed: int, bf16: bool | None = None) -> DistillationConfig:
    return distillation_args(
        out, seed=seed, steps=o.steps, learning_rate=o.learning_rate,
        batch_size=o.prompts_per_step * o.samples_per_prompt, max_completion_length=o.max_completion_length,
        temperature=o.temperature, shuffle=False, bf16=bf16,
    )
