"""``eval.backend: vllm`` in the pipeline: the stage runs the evaluation in the GPU eval image; without a GPU it stops
in one line naming the fix and the stage log; the stage's namespace carries the recipe's scoring settings."""

from __future__ import annotations

import logging
from argparse import Namespace

import pytest

from harness.errors import UserError
from harness.eval.isolate import container_spec
from harness.eval.stages import eval_stage
from harness.pipeline.context import StageContext
from harness.recipe import Recipe


def test_vllm_eval_without_a_gpu_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    model = tmp_path / "sft" / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    rec = Recipe(name="t", eval={"backend": "vllm", "suites": ["micro-math"], "public_suites_if_present": False})
    ctx = StageContext(recipe=rec, name="eval-sft", kind="eval", param="sft", out=tmp_path / "out",
                       inputs={"sft": tmp_path / "sft"}, run_root=tmp_path, seed=0,
                       log=logging.getLogger("mixmerge.stage.eval-sft"), log_file=tmp_path / "logs/eval-sft.log")
    with pytest.raises(UserError) as e:
        eval_stage(ctx)
    msg = str(e.value)
    assert "\n" not in msg and "mixmerge-eval:gpu" in msg and "no GPU is visible" in msg
    assert "eval-sft.log" in msg and "eval.backend: transformers" in msg


def test_the_gpu_container_gets_think_gate_and_refuses_the_judge(tmp_path):
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text("{}")
    args = Namespace(model=str(model), out=str(tmp_path / "out"), sandbox="auto", seed=0, model_name="sft", k=None,
                     limit=2, temperature=1.0, top_p=0.7, max_new_tokens=16, served_model=None, stop=None,
                     batch_size=8, concurrency=8, image="mixmerge-eval:cpu", data=[], think_gate=True,
                     judge_url="http://judge:8000/v1", judge_model="o3-mini")
    with pytest.raises(UserError, match="judge-url with --isolate docker"):
        container_spec(args, ["hle"], "vllm")  # the container has no network: HLE is judged afterwards
    args.judge_url = None
    spec = container_spec(args, ["hle"], "vllm")
    assert spec["command"].count("--think-gate") == 1 and spec["network_mode"] == "none"
