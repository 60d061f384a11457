"""GRPO rollouts through the project's batched decoder (``harness.generation.hf``) instead of ``model.generate``.

TRL 1.16's ``GRPOTrainer(rollout_func=...)`` hands the per-process prompts (each repeated ``num_generations``
times, consecutively, by its ``RepeatSampler``) and the trainer to a function that returns ``prompt_ids``,
``completion_ids`` and ``logprobs``; everything after generation (rewards, advantages, log-probs, loss) stays
TRL's. ``DecoderRollout`` is that function:

- prompt ids come from the trainer's own ``_tokenize_prompts`` (the chat template TRL would apply), so the
  training forward sees exactly what it would have without us;
- each group of identical consecutive prompts is prefilled once and its KV cache shared by its samples, decoded
  with the preallocated cache and oneDNN-packed linears of ``TransformersGenerator`` (10-14x a naive generate loop
  on the micro model, ``benchmarks/generation_bench.py``);
- sampling is the recipe's temperature and top-p (top-k off, as in ``configs.grpo_args``), up to
  ``max_completion_length`` tokens, each completion ending at its first EOS (kept, as ``generate`` keeps it);
- the sampler is seeded by (seed, step), so a run is repeatable; ``logprobs`` is None (TRL then recomputes what it
  needs from the policy: one update per rollout batch needs no sampling log-probs).
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import torch

from harness.generation.common import Sampling
from harness.generation.hf import TransformersGenerator, onednn_linears, slab_capable

DECODER = "mixmerge-slab-1"  # what the rollouts sample with (enters the rl stages' code version)


class LiveModelDecoder(TransformersGenerator):
    """``TransformersGenerator`` around a model already in memory (the policy being trained), not a directory."""

    def __init__(self, model: Any, tokenizer: Any, *, batch_size: int = 256) -> None:
        self.model, self.tokenizer = model, tokenizer
        self.device = next(model.parameters()).device
        self.batch_size = max(1, int(batch_size))
        self.use_slab = slab_capable(model)
        self.fast_linear = self.device.type == "cpu"
        eos = model.generation_config.eos_token_id
        eos = list(eos) if isinstance(eos, list) else [eos] if eos is not None else []
        if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in eos:
            eos.append(tokenizer.eos_token_id)
        self.eos = torch.tensor(eos, dtype=torch.long, device=self.device)

    def decode_ids(self, ids: list[list[int]], n: int, s: Sampling, seed: int) -> list[list[int]]:
        """``len(ids) * n`` completions (prompt-major) of token ids, in batches of ``batch_size`` sequences."""
        per_batch = max(1, self.batch_size // n)
        out: list[list[int]] = []
        for b, start in enumerate(range(0, len(ids), per_batch)):
            gen = torch.Generator(device=self.device).manual_seed(seed * 1_000_003 + b)
            with onednn_linears(self.model) if self.fast_linear else nullcontext():
                out += self._decode(ids[start:start + per_batch], n, s, gen)
        return out


def _groups(prompt_ids: list[list[int]]) -> list[int]:
    """Sizes of the runs of identical consecutive prompts."""
    sizes: list[int] = []
    for i, p in enumerate(prompt_ids):
        if i and p == prompt_ids[i - 1]:
            sizes[-1] += 1
        else:
            sizes.append(1)
    return sizes


class DecoderRollout:
    """``rollout_func(prompts, trainer) -> {"prompt_ids", "completion_ids", "logprobs"}`` for TRL's GRPOTrainer."""

    def __init__(self, *, seed: int, batch_size: int = 256):
        self.seed = seed
        self.batch_size = batch_size
        self.calls = 0

    def __call__(self, prompts: list, trainer: Any) -> dict:
        prompt_ids, _, _ = trainer._tokenize_prompts(prompts)
        prompt_ids = [list(p) for p in prompt_ids]
        sizes = _groups(prompt_ids)
        n = sizes[0] if len(set(sizes)) == 1 else 1  # GRPO groups of equal size share one prefill each
        starts = [sum(sizes[:i]) for i in range(len(sizes))] if n > 1 else list(range(len(prompt_ids)))
        args = trainer.args
        s = Sampling(temperature=args.temperature, top_p=args.top_p, max_new_tokens=args.max_completion_length)
        model = trainer.accelerator.unwrap_model(trainer.model)
        was_training = model.training
        model.eval()
        try:
            dec = LiveModelDecoder(model, trainer.processing_class, batch_size=self.batch_size)
            seed = self.seed * 100_003 + int(trainer.state.global_step)
            completions = dec.decode_ids([prompt_ids[i] for i in starts], n, s, seed)
        finally:
            model.train(was_training)
        self.calls += 1
        return {"prompt_ids": prompt_ids, "completion_ids": completions, "logprobs": None}
