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


def _disjoint_finetune(base, out, i: int, n: int = 4):
    """base + noise on the elements whose flat index is i mod n: each model's task vector has its own support."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    shutil.copytree(base, out)
    g = torch.Generator().manual_seed(100 + i)
    for f in sorted(out.glob("*.safetensors")):
        sd = load_file(f)
        for k, v in sd.items():
            flat = v.flatten().clone()
            flat[i::n] += 0.02 * torch.randn(flat[i::n].shape, generator=g, dtype=v.dtype)
            sd[k] = flat.view(v.shape).contiguous()
        save_file(sd, f, metadata={"format": "pt"})
    return out


def test_merge_stage_uses_recipe_and_four_rl_models(tiny_family, tmp_path, weights):
    """ta-dare from the stage: each model's delta survives on ~density of its support, rescaled to keep its L1 norm,
    and the merged delta is their sum (disjoint supports make each model's part readable in the output)."""
    import torch

    domains = ["math", "code", "science", "if"]
    inputs = {"sft": tmp_path / "sft"}
    inputs["sft"].mkdir()
    (inputs["sft"] / "model").symlink_to(tiny_family["base"])
    for i, d in enumerate(domains):
        inputs[f"rl-{d}"] = tmp_path / f"rl-{d}"
        inputs[f"rl-{d}"].mkdir()
        _disjoint_finetune(tiny_family["base"], inputs[f"rl-{d}"] / "model", i)
    recipe = Recipe(name="t", merge={"dare_density": 0.5, "seed": 7})
    out = tmp_path / "stage-out"
    out.mkdir()
    ctx = StageContext(recipe=recipe, name="merge-ta-dare", kind="merge", param="ta-dare", out=out, inputs=inputs,
                       run_root=tmp_path, seed=0, log=logging.getLogger("t"))
    extra = merge_stage(ctx)
    info = extra["merge"]
    assert info["method"] == "ta_dare" and info["density"] == 0.5 and info["seed"] == 7
    assert [m["name"] for m in info["models"]] == [f"rl-{d}" for d in domains]
    assert extra["device"] == "cpu" and extra["device_seconds"] > 0
    base, merged = weights(tiny_family["base"]), weights(out / "model")
    rl = [weights(inputs[f"rl-{d}"] / "model") for d in domains]
    assert set(merged) == set(base)
    kept, total = [0] * 4, [0] * 4
    for k, b in base.items():
        got = (merged[k].double() - b.double()).flatten()
        for i, m in enumerate(rl):
            assert not torch.equal(merged[k], m[k]), f"{k}: the merge is model {i}"
            delta = (m[k].double() - b.double()).flatten()[i::4]
            part = got[i::4]
            on = part != 0
            if part.numel() >= 256:  # (a 4-element norm vector may lose all its survivors by chance)
                assert part.abs().sum().item() == pytest.approx(delta.abs().sum().item(), rel=0.02), k  # L1 kept
                # survivors are the model's own delta, all rescaled by one factor (about 1/density)
                ratio = part[on] / delta[on]
                assert 1.5 < ratio.min().item() and ratio.max().item() / ratio.min().item() < 1.02, k
            kept[i] += int(on.sum())
            total[i] += part.numel()
    for i in range(4):
        assert kept[i] / total[i] == pytest.approx(0.5, abs=0.03), (i, kept[i], total[i])  # the dropped share
