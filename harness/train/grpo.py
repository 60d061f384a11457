"""GRPO on TRL's ``GRPOTrainer``: one routed reward function, recipe settings, time split by phase.

``PhaseTimedGRPOTrainer`` only adds two timers (``time/generation_s`` around ``_generate`` and the reward
function's own ``time/reward_s``), so a step's time splits into generation, reward and the rest (log-probs, loss,
backward, optimiser), and counts each training rollout batch into ``self.ledger`` (``harness.ledger``: tokens
generated, prefilled, forwarded for old/reference log-probs, trained). Nothing else about TRL's GRPO changes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from datasets import Dataset
from trl import GRPOTrainer

from harness.ledger import TokenLedger, param_count
from harness.recipe import GRPOStage
from harness.train.configs import grpo_args
from harness.train.rewards import RoutedReward


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


def build_grpo_trainer(model: Any, tokenizer: Any, dataset: Dataset, g: GRPOStage, reward: RoutedReward, *,
                       out: Path, seed: int, shuffle: bool, callbacks: list | None = None) -> PhaseTimedGRPOTrainer:
    args = grpo_args(out, g, seed=seed, shuffle=shuffle)
    return PhaseTimedGRPOTrainer(model=model, reward_funcs=[reward], args=args, train_dataset=dataset,
                                 processing_class=tokenizer, callbacks=callbacks or [])
