"""GRPO on TRL's ``GRPOTrainer``: one routed reward function, recipe settings, time split by phase.

``PhaseTimedGRPOTrainer`` only adds two timers (``time/generation_s`` around ``_generate`` and the reward
function's own ``time/reward_s``), so a step's time splits into generation, reward and the rest (log-probs, loss,
backward, optimiser). Nothing else about TRL's GRPO changes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from datasets import Dataset
from trl import GRPOTrainer

from harness.recipe import GRPOStage
from harness.train.configs import grpo_args
from harness.train.rewards import RoutedReward


class PhaseTimedGRPOTrainer(GRPOTrainer):
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
