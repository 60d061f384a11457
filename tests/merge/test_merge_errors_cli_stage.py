"""User errors (one clear line), the `mixmerge merge` command and the pipeline stage."""

from __future__ import annotations

import json
import logging

import pytest

from harness.cli import main
from harness.errors import UserError
from harness.merge.merge import merge
from harness.merge.stages import merge_stage
from harness.model.build import tiny_model_dir
from harness.pipeline.context import StageContext
from harness.recipe import Recipe


def test_mismatched_vocabulary_is_one_clear_error(tiny_family, tmp_path):
    other = tiny_model_dir(tmp_path / "other", seed=0, texts=["completely different text " * 20, "zzz yyy"])
    with pytest.raises(UserError, match="vocabulary mismatch"):
        merge("ta", tiny_family["base"], [tiny_family["m0"], other], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_mismatched_architecture_is_one_clear_error(tiny_family, tmp_path):
    wider = tiny_model_dir(tmp_path / "wide", seed=0, hidden_size=64)
    with pytest.raises(UserError, match="config mismatch in 'hidden_size'"):
        merge("average", tiny_family["base"], [wider], tmp_path / "out")


@pytest.mark.parametrize("kwargs, message", [
    ({"method_name": "tie"}, "did you mean 'ties'"),
    ({"method_name": "average", "lambda_": 0.5}, "--lambda does not apply to method 'average'"),
    ({"method_name": "sce", "weights": [1.0]}, "--weights does not apply"),
    ({"method_name": "ta", "weights": [1.0, 2.0]}, "2 weights for 1 models"),
    ({"method_name": "ties", "density": 1.5}, "outside"),
])
def test_bad_settings(tiny_family, tmp_path, kwargs, message):
    kwargs = dict(kwargs)  # the parameter dict is shared by every run of this test (e.g. mutmut's repeats)
    name = kwargs.pop("method_name")
    with pytest.raises(UserError, match=message):
        merge(name, tiny_family["base"], [tiny_family["m0"]], tmp_path / "out", **kwargs)


def test_missing_model_dir(tiny_family, tmp_path):
    with pytest.raises(UserError, match="model directory not found"):
        merge("ta", tiny_family["base"], [tmp_path / "nope"], tmp_path / "out")


def test_cli_merges_and_reports_errors(tiny_family, tmp_path, capsys):
    out = tmp_path / "cli"
    rc = main(["merge", "--method", "ties", "--base", str(tiny_family["base"]), "--models",
               str(tiny_family["m0"]), str(tiny_family["m1"]), "--out", str(out), "--density", "0.5"])
    assert rc == 0
    assert json.loads((out / "merge_info.json").read_text())["density"] == 0.5
    rc = main(["merge", "--method", "ties", "--base", str(tiny_family["base"]), "--models",
               str(tiny_family["m0"]), "--out", str(out)])
    assert rc == 2
    assert "not empty" in capsys.readouterr().err


def test_merge_stage_uses_recipe_and_four_rl_models(tiny_family, tmp_path, weights, make_finetune):
    inputs = {}
    for stage, src in [("sft", "base"), ("rl-math", "m0"), ("rl-code", "m1"), ("rl-science", "m2")]:
        (tmp_path / stage).mkdir()
        (tmp_path / stage / "model").symlink_to(tiny_family[src])
        inputs[stage] = tmp_path / stage
    (tmp_path / "rl-if").mkdir()
    make_finetune(tiny_family["base"], tmp_path / "rl-if" / "model", seed=99)
    inputs["rl-if"] = tmp_path / "rl-if"
    recipe = Recipe(name="t", merge={"dare_density": 0.5, "seed": 7})
    out = tmp_path / "stage-out"
    out.mkdir()
    ctx = StageContext(recipe=recipe, name="merge-ta-dare", kind="merge", param="ta-dare", out=out, inputs=inputs,
                       run_root=tmp_path, seed=0, log=logging.getLogger("t"))
    extra = merge_stage(ctx)
    info = extra["merge"]
    assert info["method"] == "ta_dare" and info["density"] == 0.5 and info["seed"] == 7
    assert [m["name"] for m in info["models"]] == ["rl-math", "rl-code", "rl-science", "rl-if"]
    assert extra["device"] == "cpu" and extra["device_seconds"] > 0
    assert weights(out / "model")
