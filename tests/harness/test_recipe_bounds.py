"""The recipe schema's bounds and registry-checked keys: every problem of a recipe at once, each with its path."""

from __future__ import annotations

import json

import pytest

from harness.errors import UserError
from harness.recipe import RECIPES_DIR, load_recipe


def _problems(tmp_path, text: str) -> list[str]:
    p = tmp_path / "r.yaml"
    p.write_text("name: x\n" + text)
    with pytest.raises(UserError) as e:
        load_recipe(p)
    lines = str(e.value).splitlines()
    assert all(line.startswith(f"{p}: ") for line in lines)
    return [line.removeprefix(f"{p}: ") for line in lines]


def test_the_review_recipe_reports_every_problem_at_once(tmp_path):
    out = _problems(tmp_path, "grpo: {steps: -5, learning_rate: -1}\nmerge: {ties_density: 3.0}\neval: {k: 0}\n")
    assert out[0] == "4 problems"
    assert set(out[1:]) == {
        "grpo.steps: Input should be greater than 0",
        "grpo.learning_rate: Input should be greater than 0",
        "merge.ties_density: Input should be less than or equal to 1",
        "eval.k: Input should be greater than 0",
    }


@pytest.mark.parametrize("text, line", [
    ("rl_multi: {mix: {math: 1, scince: 1}}\n",
     "rl_multi.mix.scince: unknown RL domain 'scince' (did you mean 'science'?); known: math, code, science, if"),
    ("opd: {mix: {general: 1}}\n", "opd.mix.general: unknown RL domain 'general'; known: math, code, science, if"),
    ("merge: {weights: {cod: 1}}\n", "merge.weights.cod: unknown RL domain 'cod' (did you mean 'code'?)"),
    ("sft: {blend: {mathh: 1}}\n", "sft: blend: unknown domain 'mathh' (did you mean 'math'?)"),
    ("data: {sciense: {rl: 3}}\n", "data.sciense: unknown domain 'sciense' (did you mean 'science'?)"),
    ("grpo_overrides: {mth: {steps: 3}}\n", "grpo_overrides.mth: unknown RL domain 'mth' (did you mean 'math'?)"),
    ("grpo_overrides: {code: {stepz: 3}}\n", "grpo_overrides.code.stepz: unknown field; did you mean 'steps'?"),
    ("grpo_overrides: {code: {top_p: 0}}\n", "grpo_overrides.code.top_p: Input should be greater than 0"),
    ("grpo_overrides: {code: {group_size: 1}}\n", "grpo_overrides.code.group_size: group_size 1 < 2"),
    ("sft: {blend: {math: 0}}\n", "sft: blend: proportions sum to 0"),
    ("merge: {dare_density: 0}\n", "merge.dare_density: Input should be greater than 0"),
    ("sandbox: {timeout_s: 0}\n", "sandbox.timeout_s: Input should be greater than 0"),
    ("data: {math: {rl: -1}}\n", "data.math.rl: Input should be greater than or equal to 0"),
    ("grpo: {top_p: 1.5}\n", "grpo.top_p: Input should be less than or equal to 1"),
])
def test_each_bad_value_names_its_path(tmp_path, text, line):
    out = _problems(tmp_path, text)
    assert len(out) == 1 and out[0].startswith(line), out


def test_limits_that_mean_something_stay_allowed(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("name: x\ndata: {math: {rl: 0}}\neval: {temperature: 0}\nsft: {max_steps: -1}\n"
                 "merge: {weights: {math: -1.0}}\ngrpo_overrides: {math: {steps: 7}}\n")
    r = load_recipe(p)  # 0 = no cap, greedy decoding, epochs-driven SFT, task negation
    assert r.data["math"].rl == 0 and r.eval.temperature == 0 and r.merge.weights["math"] == -1.0
    assert r.grpo_for("math").steps == 7 and r.grpo_for("code").steps == r.grpo.steps


def test_a_non_micro_sft_blend_names_its_dataset_subsets():
    paper = load_recipe("paper")  # the Nemotron post-training blend's categories, not registry domains
    assert "chat" in paper.sft.blend and paper.sft.dataset


@pytest.mark.parametrize("path", sorted(RECIPES_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_overrides_dump_only_what_the_recipe_sets(path):
    r = load_recipe(path)  # what section hashes see: the plain mapping the recipe wrote, no None-filled fields
    dumped = r.model_dump(mode="json", by_alias=True)["grpo_overrides"]
    for d, over in dumped.items():
        assert None not in over.values() and over == json.loads(json.dumps(over))
        assert all(getattr(r.grpo_for(d), k) == (tuple(v) if isinstance(v, list) else v) for k, v in over.items())


def test_lcb_windows_are_recipe_fields_with_the_documented_defaults(tmp_path):
    from datetime import date

    r = load_recipe("micro")
    assert (r.eval.lcb_windows["lcb-v5"].start, r.eval.lcb_windows["lcb-v5"].end) == (date(2024, 8, 1), date(2025, 2, 1))
    assert r.eval.lcb_windows["lcb-v6-new"].release == "v6" and r.eval.lcb_windows["lcb-v6-new"].start is None
    out = _problems(tmp_path, "eval: {lcb_windows: {lcb-v7: {release: release_v6}}}\n")
    assert out[0].startswith("eval: lcb_windows: unknown LiveCodeBench suite 'lcb-v7'; did you mean")
    out = _problems(tmp_path, "eval: {lcb_windows: {lcb-v5: {release: v5, start: 2025-03-01, end: 2025-01-01}}}\n")
    assert out[0].startswith("eval: lcb_windows.lcb-v5: LiveCodeBench window v5: start 2025-03-01 is after end")


def test_with_grpo_steps_sets_every_single_domain_run_and_revalidates():
    r = load_recipe("micro")
    short = r.with_grpo_steps(3)
    assert short.grpo.steps == 3 and all(short.grpo_for(d).steps == 3 for d in ("math", "code", "science", "if"))
    assert short.grpo_for("math").max_completion_length == r.grpo_for("math").max_completion_length  # overrides kept
    assert short.rl_multi == r.rl_multi and short.data == r.data
    with pytest.raises(Exception, match="greater than 0"):
        r.with_grpo_steps(0)
