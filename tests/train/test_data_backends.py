"""Both training backends read RL data through one loader and one mixing function: same recipe + seed ->
same prompts in the same order; one limit rule (0 = no cap); a domain with no rows stops the stage."""

from __future__ import annotations

import json

import pytest

from harness.errors import UserError
from harness.paths import external_dir
from harness.recipe import Recipe
from harness.train import data
from harness.train.openrlhf import launch

BLEND = external_dir() / "nemotron" / "with-blend-labels"


@pytest.fixture(scope="module")
def blend_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("blend") / "train.jsonl"
    p.write_text("".join(f.read_text() for f in sorted(BLEND.glob("*.jsonl"))))
    return p


def recipe(blend, rl=0, domains=("math", "science", "code", "if"), steps=3, per_step=4):
    src = {d: {"source": f"nemotron:{blend}", "rl": rl} for d in domains}
    return Recipe.model_validate({"name": "t", "data": src, "grpo": {"steps": steps, "prompts_per_step": per_step},
                                  "rl_multi": {"steps": steps, "prompts_per_step": per_step,
                                               "mix": {d: 0.25 for d in domains}}})


def openrlhf_prompts(r: Recipe, stage: str, root) -> list[dict]:
    lau = launch.plan(r, "grpo", stage, root)
    launch.prepare(lau, r)
    return [json.loads(line) for line in lau.data_file.read_text().splitlines()]


@pytest.mark.parametrize("stage,mix", [("rl-multi", None), ("rl-science", {"science": 1.0})])
def test_local_and_openrlhf_train_on_the_same_stream(blend_file, tmp_path, stage, mix):
    r = recipe(blend_file)
    g, m = launch.grpo_settings(r, stage)
    local = data.rl_stream(r, m, steps=g.steps, per_step=g.prompts_per_step, seed=r.seed)
    theirs = openrlhf_prompts(r, stage, tmp_path)
    assert len(local) == len(theirs) == g.steps * g.prompts_per_step
    assert [e["id"] for e in local] == [row["id"] for row in theirs]
    assert [json.loads(row["label"])["label"] for row in theirs] == [e["label"] for e in local]
    ds = data.rl_dataset(r, m, steps=g.steps, per_step=g.prompts_per_step, seed=r.seed)  # what TRL gets
    assert [json.loads(x)["id"] for x in ds["example"]] == [e["id"] for e in local]


@pytest.mark.parametrize("rl,n", [(0, 10), (4, 4)])
def test_limit_rule_on_both_paths(blend_file, rl, n):
    from harness.train.openrlhf import data as orl

    r = recipe(blend_file, rl=rl)
    assert len(data.rl_examples(r, "math", 0)) == n
    assert len(orl.domain_examples(r, "math", "rl")) == n


def test_domain_without_rows_fails_the_stage_in_one_line(tmp_path):
    p = tmp_path / "only-math.jsonl"
    p.write_text((BLEND / "math_with_judge__nano_v3_sft_profiled_dapo17k.jsonl").read_text())
    r = recipe(p, domains=("math", "code"))
    with pytest.raises(UserError, match=r"data\.code: source 'nemotron:.*' gave no code rows") as e:
        data.rl_stream(r, {"math": 0.5, "code": 0.5}, steps=1, per_step=2, seed=0)
    assert "\n" not in str(e.value)
    with pytest.raises(UserError, match="gave no code rows"):
        openrlhf_prompts(r, "rl-code", tmp_path)


def test_local_grpo_trains_on_blend_rows(micro_model, blend_file, tmp_path):
    """The local backend runs a GRPO step on the blend's STEM rows, scored in each row's own answer format."""
    from train_helpers import tiny_recipe

    from harness.train.stages import run_grpo

    r = tiny_recipe(data={"science": {"source": f"nemotron:{blend_file}", "rl": 0}}, grpo={"steps": 1})
    res = run_grpo(r, "science", micro_model, tmp_path, seed=0)
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert res["domains"] == ["science"] and rows[0]["reward/science"] is not None
    assert rows[0]["infra/failed"] == 0.0
