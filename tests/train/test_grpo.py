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


def test_multi_task_run_logs_reward_per_domain_every_step(micro_model, tmp_path, monkeypatch):
    """A real two-step multi-task run in which half of every group's completions are scored as the row's reference
    answer and half as another domain's: the reward of each is 1 / 0, the log says 0.5 per domain, the model moves."""
    from types import SimpleNamespace

    import torch
    from safetensors.torch import load_file

    splits = data.splits  # RL prompts with a known right answer: the SFT examples whose reference is right
    monkeypatch.setattr(data, "splits", lambda *a: SimpleNamespace(rl=right(splits(*a).sft)))

    calls: list[tuple[list[dict], list[float]]] = []
    call = RoutedReward.__call__

    def half_right(self, prompts, completions, example, log_metric=None, **kw):
        exs = [json.loads(e) for e in example]
        refs = {e["domain"]: e["meta"]["response"] for e in exs}  # the wrong answer: another domain's reference
        texts = [e["meta"]["response"] if i % 2 == 0 else next(v for d, v in refs.items() if d != e["domain"])
                 for i, e in enumerate(exs)]
        got = call(self, prompts, [[{"role": "assistant", "content": t}] for t in texts], example, log_metric, **kw)
        calls.append((exs, got))
        return got

    monkeypatch.setattr(RoutedReward, "__call__", half_right)
    res = run_grpo(tiny_recipe(), "multi", micro_model, tmp_path, seed=0)
    assert len(calls) == 2
    for exs, got in calls:
        assert got == [1.0 if i % 2 == 0 else 0.0 for i in range(len(exs))], (got, [e["domain"] for e in exs])
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    for row, (exs, got) in zip(rows, calls, strict=True):
        for d in DOMAINS:  # the logged per-domain reward is the mean of that domain's verdicts in that step
            mine = [r for e, r in zip(exs, got, strict=True) if e["domain"] == d]
            assert row[f"reward/{d}"] == pytest.approx(sum(mine) / len(mine)), (d, row)
        assert row["completion_length"] > 0 and row["entropy"] is not None and row["step_time"] > 0
        assert row["time/generation_s"] > 0 and row["time/reward_s"] > 0
    assert (tmp_path / "model" / "model.safetensors").exists() and list((tmp_path / "tb").glob("events.*"))
    assert res["domains"] == list(sorted(DOMAINS)) and res["device_seconds"] > 0
    # rewards that differ within a group give non-zero advantages: the policy update must move the weights
    before, after = load_file(next(micro_model.glob("*.safetensors"))), load_file(tmp_path / "model" / "model.safetensors")
    moved = [k for k in before if k in after and not torch.equal(before[k], after[k].to(before[k].dtype))]
    assert len(moved) > len(before) // 2, f"{len(moved)} of {len(before)} tensors changed"


@pytest.mark.slow
def test_single_domain_run_with_kl(micro_model, tmp_path):
    r = tiny_recipe(grpo={"kl_coef": 0.04})
    run_grpo(r, "math", micro_model, tmp_path, seed=1)
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert all(row["kl"] is not None and row["reward/math"] is not None for row in rows)
