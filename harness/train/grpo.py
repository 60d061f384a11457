"""GRPO on TRL's ``GRPOTrainer``: one routed reward function, recipe settings, time split by phase.

``PhaseTimedGRPOTrainer`` only adds two timers (``time/generation_s`` around ``_generate`` and the reward
function's own ``time/reward_s``), so a step's time splits into generation, reward and the rest (log-probs, loss,
backward, optimiser), routes rollouts through the project's decoder (``harness.train.rollout``; ``rollout="trl"``
keeps TRL's ``generate``), and counts each training rollout batch into ``self.ledger`` (``harness.ledger``: tokens
generated, prefilled, forwarded for old/reference log-probs, trained). Nothing else about TRL's GRPO changes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from datasets import Dataset
from trl import GRPOTrainer

from harness.ledger import TokenLedger, param_count
from harness.recipe import GRPOStage
from harness.train.configs import grpo_args
from harness.train.rewards import RoutedReward
from harness.train.rollout import DecoderRollout


class PhaseTimedGRPOTrainer(GRPOTrainer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ledger = TokenLedger(param_count(self.model))

    def _generate_and_score_completions(self, inputs):
        out = super()._generate_and_score_completions(inputs)
        if self.model.training:  # the log-probs TRL computed without grad: old (off-step) and reference (beta != 0)
            nograd = sum(k in out for k in ("old_per_token_logps", "ref_per_token_logps"))
            self.ledger.add_rollout(out["prompt_mask"], out["completion_mask"], nograd_forwards=nograd)
        return out

    def _generate(self, prompts: list):
        t0 = time.perf_counter()
        try:
            return super()._generate(prompts)
        finally:
            mode = "train" if self.model.training else "eval"
            self._metrics[mode]["time/generation_s"].append(time.perf_counter() - t0)


ROLLOUTS = ("decoder", "trl")  # the project's batched decoder (default) or TRL's own model.generate path


def build_grpo_trainer(model: Any, tokenizer: Any, dataset: Dataset, g: GRPOStage, reward: RoutedReward, *,
                       out: Path, seed: int, shuffle: bool, callbacks: list | None = None,
                       rollout: str = "decoder") -> PhaseTimedGRPOTrainer:
    if rollout not in ROLLOUTS:
        from harness.errors import unknown

        raise unknown("rollout", rollout, list(ROLLOUTS))
    args = grpo_args(out, g, seed=seed, shuffle=shuffle)
    extra = {}
    if rollout == "decoder":
        os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is marked experimental in TRL 1.16
        extra["rollout_func"] = DecoderRollout(seed=seed)
    return PhaseTimedGRPOTrainer(model=model, reward_funcs=[reward], args=args, train_dataset=dataset,
                                 processing_class=tokenizer, callbacks=callbacks or [], **extra)
