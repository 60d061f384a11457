"""TRL 1.16's GRPOTrainer leaves a ``None`` reward out of its group: a sample the verifier could not judge
(an infrastructure failure) neither lowers the group's mean nor gets an advantage."""

from __future__ import annotations

import json

import pytest
from train_helpers import tiny_recipe

from domains.base import Verdict
from harness.train import data
from harness.train.grpo import build_grpo_trainer
from harness.train.rewards import RoutedReward
from harness.train.stages import grpo_settings, load_model


@pytest.mark.parametrize("masked", [True, False])
def test_masked_samples_leave_the_group_statistics(micro_model, tmp_path, masked):
    r = tiny_recipe()
    g, mix = grpo_settings(r, "math")
    ds = data.rl_dataset(r, mix, steps=g.steps, per_step=g.prompts_per_step, seed=0)
    down = {json.loads(x)["id"] for x in ds["example"][::g.prompts_per_step]}

    def verify(ex, text, sandbox=None):  # the first prompt of every step: its verifier's engine is down
        if ex["id"] in down:
            return Verdict.infra_failure("engine down") if masked else Verdict(0.0, False)
        return Verdict(1.0, True)

    reward = RoutedReward(verify, max_infra_share=1.0)
    model, tok = load_model(micro_model)
    trainer = build_grpo_trainer(model, tok, ds, g, reward, out=tmp_path, seed=0, shuffle=False)
    trainer.train()
    steps = [h for h in trainer.state.log_history if "reward" in h]
    assert len(steps) == g.steps
    for h in steps:
        # masked: only the judged samples count (all 1.0); scored 0 instead they would pull the mean to 0.5
        assert h["reward"] == pytest.approx(1.0 if masked else 0.5)
        assert h["infra/failed"] == (g.group_size if masked else 0)
    assert reward.infra_failed == (g.steps * g.group_size if masked else 0)
