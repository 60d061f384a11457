"""GRPO through TRL's GRPOTrainer: one reward function routed by ``domain`` to the real verifiers (code through the
sandbox), per-domain reward logged every step of a multi-task run, recipe settings reaching TRL."""

from __future__ import annotations

import json

import pytest
from train_helpers import right, tiny_recipe

from harness.train import data
from harness.train.configs import grpo_args
from harness.train.rewards import RoutedReward
from harness.train.stages import grpo_settings, open_sandbox, run_grpo

DOMAINS = ("math", "code", "science", "if")


@pytest.fixture(scope="module")
def sandbox():
    with open_sandbox(tiny_recipe(), needed=True) as sb:
        yield sb


def test_reward_routes_each_sample_to_its_domain_verifier(sandbox):
    """Reference responses score 1 under their own verifier; the same text under another domain's row scores 0."""
    r = tiny_recipe()
    exs = [right(data.splits(r, d, 0).sft)[0] for d in DOMAINS]
    texts = [e["meta"]["response"] for e in exs]
    rows = [data.rl_row(e) for e in exs]
    logged: dict[str, float] = {}
    reward = RoutedReward(data.verifier(), sandbox=sandbox, workers=2)
    got = reward([x["prompt"] for x in rows], [[{"role": "assistant", "content": t}] for t in texts],
                 example=[x["example"] for x in rows], log_metric=lambda k, v: logged.__setitem__(k, v))
    assert got == [1.0, 1.0, 1.0, 1.0]
    rotated = texts[1:] + texts[:1]  # math row gets the code answer, ...
    assert reward.score([json.loads(x["example"]) for x in rows], rotated) == [0.0, 0.0, 0.0, 0.0]
    assert {k for k in logged if k.startswith("reward/")} == {f"reward/{d}" for d in DOMAINS}
    assert logged["time/reward_s"] > 0


def test_think_gate_zeroes_rewards_without_closing_think(sandbox):
    e = right(data.splits(tiny_recipe(), "math", 0).sft)[0]
    gated = RoutedReward(data.verifier(), think_gate=True)
    assert gated.score([e], [e["meta"]["response"]]) == [0.0]
    assert gated.score([e], ["<think>x</think>" + e["meta"]["response"]]) == [1.0]


def test_recipe_settings_reach_trl(tmp_path):
    r = tiny_recipe(grpo_overrides={"code": {"learning_rate": 7e-5, "eps_high": 0.3}})
    g, mix = grpo_settings(r, "code")
    a = grpo_args(tmp_path, g, seed=3, shuffle=False)
    assert mix == {"code": 1.0}
    assert (a.learning_rate, a.epsilon, a.epsilon_high, a.num_generations) == (7e-5, 0.2, 0.3, 2)
    assert a.per_device_train_batch_size == g.prompts_per_step * g.group_size and a.beta == g.kl_coef
    assert (a.top_k, a.temperature, a.max_completion_length, a.max_steps) == (0, g.temperature, 8, 2)


def test_multi_task_run_logs_reward_per_domain_every_step(micro_model, tmp_path):
    res = run_grpo(tiny_recipe(), "multi", micro_model, tmp_path, seed=0)
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    for row in rows:
        for d in DOMAINS:
            assert row[f"reward/{d}"] is not None and 0.0 <= row[f"reward/{d}"] <= 1.0
        assert row["completion_length"] > 0 and row["entropy"] is not None and row["step_time"] > 0
        assert row["time/generation_s"] > 0 and row["time/reward_s"] > 0
    assert (tmp_path / "model" / "model.safetensors").exists() and list((tmp_path / "tb").glob("events.*"))
    assert res["domains"] == list(sorted(DOMAINS)) and res["device_seconds"] > 0


@pytest.mark.slow
def test_single_domain_run_with_kl(micro_model, tmp_path):
    r = tiny_recipe(grpo={"kl_coef": 0.04})
    run_grpo(r, "math", micro_model, tmp_path, seed=1)
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert all(row["kl"] is not None and row["reward/math"] is not None for row in rows)
