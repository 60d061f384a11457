"""SFT through TRL's SFTTrainer: blend proportions, loss on the assistant turn only, artifacts of a real run."""

from __future__ import annotations

import json
import math
from collections import Counter

from train_helpers import tiny_recipe

from harness.train import data
from harness.train.stages import build_sft_trainer, load_model, run_sft


def test_blend_proportions():
    r = tiny_recipe(data={d: {"sft": 20, "rl": 8, "eval": 4} for d in ("math", "code", "science", "if")},
                    sft={"blend": {"math": 0.5, "code": 0.25, "science": 0.25, "if": 0.0}})
    c = Counter(e["domain"] for e in data.sft_examples(r, seed=0))
    assert c == {"math": 30, "code": 15, "science": 15}  # 60 = the blended domains' data.sft


def test_loss_mask_covers_exactly_the_assistant_turn(micro_model, tmp_path):
    r = tiny_recipe()
    model, tok = load_model(micro_model)
    trainer = build_sft_trainer(r, model, tok, tmp_path / "t", seed=0)
    row = trainer.train_dataset[0]
    ids, mask = row["input_ids"], [lab != -100 for lab in row["labels"]]
    trained = tok.decode([i for i, m in zip(ids, mask, strict=True) if m])
    untrained = tok.decode([i for i, m in zip(ids, mask, strict=True) if not m])
    ex = data.sft_examples(r, 0)[0]
    assert trained == ex["meta"]["response"] + "<|im_end|>"
    assert ex["messages"][0]["content"] in untrained and "<|im_start|>assistant" in untrained


def test_sft_run_writes_model_metrics_and_tensorboard(micro_model, tmp_path):
    res = run_sft(tiny_recipe(), micro_model, tmp_path, seed=0)
    assert (tmp_path / "model" / "model.safetensors").exists() and (tmp_path / "model" / "tokenizer.json").exists()
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2] and all(r["loss"] > 0 for r in rows)
    # the loss on a random model's first batch is about ln(vocabulary): the model predicts nothing yet
    assert abs(rows[0]["loss"] - math.log(len(load_model(micro_model)[1]))) < 1.5, rows[0]
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert res["device_seconds"] > 0 and res["examples"] == 32 and not (tmp_path / "_trainer").exists()
    model, _ = load_model(tmp_path / "model")  # loads back as an HF model
    assert model.generation_config.eos_token_id is not None


def test_sft_memorises_a_small_batch(micro_model, tmp_path):
    """Eight math examples seen 30 times: what SFT must do is drive their loss down, not merely run."""
    r = tiny_recipe(data={d: {"sft": 8 if d == "math" else 1, "rl": 1, "eval": 1}
                          for d in ("math", "code", "science", "if", "general")},
                    sft={"blend": {"math": 1.0}, "max_steps": 30, "batch_size": 8, "warmup_ratio": 0.0,
                         "learning_rate": 1e-2, "min_lr_ratio": 1.0})
    run_sft(r, micro_model, tmp_path, seed=0)
    loss = [json.loads(x)["loss"] for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert len(loss) == 30
    assert loss[-1] < 0.3 * loss[0], loss  # the same batch every step: memorised
    assert sum(loss[-5:]) < sum(loss[:5]) * 0.4, loss
