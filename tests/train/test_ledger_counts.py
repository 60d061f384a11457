"""The compute ledger the training stages write: counted tokens agree with TRL's own logs, two runs of the same
recipe and seed give identical ledgers, and each forward TRL computes is counted once."""

from __future__ import annotations

import json

import pytest
from train_helpers import right, tiny_recipe

from harness.ledger import TokenLedger, flops, param_count
from harness.train import data
from harness.train.stages import build_sft_trainer, load_model, open_sandbox, run_grpo, run_sft


def _completion_tokens_logged(out) -> float:
    rows = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    return sum(r["completion_length"] for r in rows)


def test_two_runs_of_the_same_recipe_and_seed_give_identical_ledgers(micro_model, tmp_path):
    r = tiny_recipe()
    a = run_grpo(r, "multi", micro_model, tmp_path / "a", seed=0)["compute_ledger"]
    b = run_grpo(r, "multi", micro_model, tmp_path / "b", seed=0)["compute_ledger"]
    assert a == b
    g = r.rl_multi
    batch = g.prompts_per_step * g.group_size
    # TRL logs the mean completion length of each step's batch: the counted tokens are those, summed
    assert a["generated_tokens"] == pytest.approx(batch * _completion_tokens_logged(tmp_path / "a"))
    assert a["batches"] == g.steps and a["prompt_tokens"] > 0
    assert a["forwarded_tokens"] == 0  # beta 0, one update per rollout batch: TRL computes no extra log-probs
    assert a["trained_tokens"] == a["generated_tokens"] + a["prompt_tokens"]
    model, _ = load_model(micro_model)
    assert a["params"] == param_count(model) == model.num_parameters()  # tied embedding counted once
    assert a["flops"] == 2 * a["params"] * (a["generated_tokens"] + a["prompt_tokens"]) + 6 * a["params"] * a["trained_tokens"]
    # every code sample with a fenced block is one sandbox program; at most one per code sample
    code_samples = g.steps * (g.prompts_per_step // 4) * g.group_size
    assert 0 <= a["sandbox_programs"] <= code_samples
    c = run_grpo(r, "multi", micro_model, tmp_path / "c", seed=1)["compute_ledger"]
    assert c["generated_tokens"] != a["generated_tokens"] or c["prompt_tokens"] != a["prompt_tokens"]


def test_reference_log_probs_are_counted_as_forwarded(micro_model, tmp_path):
    res = run_grpo(tiny_recipe(grpo={"kl_coef": 0.04}), "math", micro_model, tmp_path, seed=0)["compute_ledger"]
    assert res["forwarded_tokens"] == res["trained_tokens"] == res["generated_tokens"] + res["prompt_tokens"] > 0
    assert res["sandbox_programs"] == 0


def test_sft_trained_tokens_are_the_non_padding_tokens_of_the_batches_seen(micro_model, tmp_path):
    r = tiny_recipe()
    res = run_sft(r, micro_model, tmp_path / "run", seed=0)["compute_ledger"]
    model, tok = load_model(micro_model)
    trainer = build_sft_trainer(r, model, tok, tmp_path / "t", seed=0)
    batches = iter(trainer.get_train_dataloader())
    expected = sum(int(next(batches)["attention_mask"].sum()) for _ in range(r.sft.max_steps))
    assert res["trained_tokens"] == expected and res["generated_tokens"] == 0
    assert res["flops"] == 6 * res["params"] * expected


def test_opd_counts_one_teacher_forward_per_sample(micro_model, tmp_path):
    from harness.train.stages import run_opd

    r = tiny_recipe()
    res = run_opd(r, micro_model, {d: micro_model for d in ("math", "code", "science", "if")}, tmp_path, seed=0)
    led = res["compute_ledger"]
    assert led["batches"] == r.opd.steps and led["generated_tokens"] == pytest.approx(
        r.opd.prompts_per_step * r.opd.samples_per_prompt * _completion_tokens_logged(tmp_path))
    assert led["forwarded_tokens"] == led["trained_tokens"] == led["generated_tokens"] + led["prompt_tokens"]


def test_the_stage_sandbox_counts_every_program_it_runs():
    from domains.code.verify import verify_code, verify_code_many

    exs = right(data.splits(tiny_recipe(), "code", 0).sft)[:3]
    with open_sandbox(tiny_recipe(), needed=True) as sb:
        verdicts = verify_code_many([(e, e["meta"]["response"]) for e in exs], sb)
        assert sb.programs == len(exs) and all(v.correct for v in verdicts)
        verify_code(exs[0], "", sb)  # no code at all: nothing runs
        verify_code(exs[0], exs[0]["meta"]["response"], sb)
        assert sb.programs == len(exs) + 1


def test_token_ledger_arithmetic():
    led = TokenLedger(params=10)
    led.add_rollout([[1, 1, 0], [1, 1, 1]], [[1, 0], [1, 1]], nograd_forwards=2)
    assert (led.prompt_tokens, led.generated_tokens, led.forwarded_tokens, led.trained_tokens) == (5, 3, 16, 8)
    assert led.flops == flops(10, 5 + 3 + 16, 8) == 2 * 10 * 24 + 6 * 10 * 8
    assert led.record()["params_counted"].startswith("all parameters")
