from __future__ import annotations

import subprocess
import sys

import pytest

from harness.errors import UserError
from harness.recipe import load_recipe


def write(tmp_path, text):
    p = tmp_path / "r.yaml"
    p.write_text(text)
    return p


def test_shipped_recipes_validate():
    micro, paper = load_recipe("micro"), load_recipe("paper")
    assert micro.base.model is None
    assert paper.base.model == "Qwen/Qwen3-4B-Base"
    assert (paper.grpo.prompts_per_step, paper.grpo.group_size, paper.grpo.steps) == (128, 16, 200)
    assert (paper.rl_multi.steps, paper.opd.prompts_per_step, paper.opd.samples_per_prompt) == (400, 256, 4)
    assert abs(sum(paper.sft.blend.values()) - 1.0) < 1e-3 and paper.sft.samples == 14121873
    assert paper.sft.blend["code"] == pytest.approx(0.2781)
    assert set(paper.eval.suites) == {"aime24", "aime25", "lcb-v5", "lcb-v6", "hle", "gpqa-diamond", "ifeval",
                                      "ifbench", "mmlu-redux"}


@pytest.mark.parametrize(
    "text, needle",
    [
        ("name: x\nseed: [1\n", "invalid YAML"),
        ("name: x\ngrpo:\n  stepz: 3\n", "grpo.stepz: unknown field; did you mean 'steps'?"),
        ("name: x\ngrpo:\n  steps: many\n", "grpo.steps: Input should be a valid integer"),
        ("name: x\nbase:\n  model: ./no/such/model\n", "base.model: model path './no/such/model' does not exist"),
        ("- a\n- b\n", "a recipe is a YAML mapping"),
        ("seed: 1\n", "name: Field required"),
        ("name: x\ngrpo:\n  group_size: 1\n", "group_size 1 < 2"),
    ],
)
def test_broken_recipe_is_one_clear_error(tmp_path, text, needle):
    p = write(tmp_path, text)
    with pytest.raises(UserError) as e:
        load_recipe(p)
    msg = str(e.value)
    assert str(p) in msg and needle in msg and "\n" not in msg


def test_unknown_recipe_name_suggests():
    with pytest.raises(UserError, match="did you mean 'micro'"):
        load_recipe("mikro")


def test_cli_broken_recipe_exit_2_one_line(tmp_path):
    p = write(tmp_path, "name: x\nmerge:\n  methodz: [ties]\n")
    r = subprocess.run([sys.executable, "-m", "harness.cli", "reproduce", "--recipe", str(p), "--dry-run"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "merge.methodz: unknown field" in r.stderr and "Traceback" not in r.stderr


def test_ray_resources_and_the_executor_never_enter_a_stage_hash():
    from harness.recipe import Recipe

    plain = Recipe(name="t")
    placed = Recipe(name="t", executor={"kind": "ray", "address": "head:6379"},
                    grpo={"resources": {"cpus": 16, "gpus": 8}}, merge={"resources": {"memory_gb": 48}},
                    eval={"resources": {"gpus": 1}})
    for section in ("grpo", "merge", "eval", "sft", "rl_multi", "opd", "base"):
        assert placed.section_hash(section) == plain.section_hash(section), section
    assert placed.grpo_for("code").resources.gpus == 8


def test_eval_data_is_hashed_only_when_set():
    from harness.recipe import Recipe

    plain = Recipe(name="t")
    assert Recipe(name="t", eval={"data": {}}).section_hash("eval") == plain.section_hash("eval")
    assert Recipe(name="t", eval={"data": {"aime24": "x.jsonl"}}).section_hash("eval") != plain.section_hash("eval")
