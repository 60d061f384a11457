"""GRPO rollouts through the project's decoder: TRL's prompt ids, one completion per row, greedy = ``generate``,
repeatable by (seed, step); TRL's own path still selectable."""

from __future__ import annotations

import pytest
import torch
from train_helpers import tiny_recipe

from harness.errors import UserError
from harness.train import data
from harness.train.grpo import build_grpo_trainer
from harness.train.rewards import RoutedReward
from harness.train.stages import grpo_settings, load_model, run_grpo


@pytest.fixture
def trainer(micro_model, tmp_path):
    r = tiny_recipe()
    g, mix = grpo_settings(r, "math")
    model, tok = load_model(micro_model)
    ds = data.rl_dataset(r, mix, steps=g.steps, per_step=g.prompts_per_step, seed=0)
    return build_grpo_trainer(model, tok, ds, g, RoutedReward(data.verifier()), out=tmp_path / "t", seed=0,
                              shuffle=False), ds, g


def _prompts(ds, g):
    return [ds[i]["prompt"] for i in range(g.prompts_per_step) for _ in range(g.group_size)]


def test_rollout_rows_match_trl_prompts_and_stop_at_eos(trainer):
    tr, ds, g = trainer
    prompts = _prompts(ds, g)
    out = tr.rollout_func(prompts, tr)
    ref_ids, _, _ = tr._tokenize_prompts(prompts)
    assert out["prompt_ids"] == [list(p) for p in ref_ids] and out["logprobs"] is None
    assert len(out["completion_ids"]) == len(prompts)
    eos = tr.processing_class.eos_token_id
    for c in out["completion_ids"]:
        assert 1 <= len(c) <= g.max_completion_length
        assert eos not in c[:-1]  # nothing after the first EOS
    assert tr.rollout_func(prompts, tr) == out  # same (seed, step): same samples
    tr.state.global_step += 1
    assert tr.rollout_func(prompts, tr)["completion_ids"] != out["completion_ids"]


def test_greedy_rollout_equals_generate(trainer):
    tr, ds, g = trainer
    tr.args.temperature = 0.0
    prompts = _prompts(ds, g)
    model = tr.model.train()  # as during training: the rollout decodes in eval mode and switches back
    out = tr.rollout_func(prompts, tr)
    assert model.training
    model.eval()
    for i in range(0, len(prompts), g.group_size):
        ids = torch.tensor([out["prompt_ids"][i]])
        ref = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                             max_new_tokens=g.max_completion_length, pad_token_id=tr.processing_class.pad_token_id)
        want = ref[0, ids.shape[1]:].tolist()
        eos = tr.processing_class.eos_token_id
        want = want[:want.index(eos) + 1] if eos in want else want
        assert all(c == want for c in out["completion_ids"][i:i + g.group_size])


def test_trl_rollout_path_and_unknown_rollout(micro_model, tmp_path):
    res = run_grpo(tiny_recipe(), "science", micro_model, tmp_path, seed=0, rollout="trl")
    assert res["rollout"] == "trl" and res["compute_ledger"]["generated_tokens"] > 0
    with pytest.raises(UserError, match="did you mean 'trl'"):
        run_grpo(tiny_recipe(), "science", micro_model, tmp_path / "x", seed=0, rollout="trll")
