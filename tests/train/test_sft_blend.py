"""The paper's SFT blend from the Nemotron post-training datasets' published chat schema (tiny rows written
here in that schema: ``messages`` with ``reasoning_content`` on assistant turns, plus uuid/license/used_in)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from harness.errors import UserError
from harness.recipe import Recipe
from harness.train import data, sft_data
from harness.train.openrlhf import launch


def row(i: int, part: str, reasoning: bool = True) -> dict:
    reply = {"role": "assistant", "content": f"{part} answer {i}"}
    if reasoning:
        reply["reasoning_content"] = f"thinking about {part} {i}"
    return {"uuid": f"{part}-{i}", "license": "CC BY 4.0", "used_in": ["nano_v3"], "tools": [],
            "messages": [{"role": "system", "content": ""}, {"role": "user", "content": f"{part} question {i}"}, reply]}


@pytest.fixture
def blend_dir(tmp_path):
    d = tmp_path / "nemotron-sft"
    d.mkdir()
    (d / "math.jsonl").write_text("".join(json.dumps(row(i, "math")) + "\n" for i in range(10)))  # by part name
    (d / "Nemotron-Science-v1.jsonl").write_text(json.dumps(row(0, "science")) + "\n")  # by source dataset
    (d / "chat.jsonl").write_text("".join(json.dumps(row(i, "chat", reasoning=False)) + "\n" for i in range(3)))
    return d


def recipe(d, **sft) -> Recipe:
    return Recipe.model_validate({"name": "b", "sft": {"dataset": str(d), "samples": 8, "epochs": 2,
                                                       "blend": {"math": 0.5, "science": 0.25, "chat": 0.25}, **sft}})


def test_paper_table_and_recipe_agree():
    from harness.recipe import load_recipe

    table = sft_data.paper_blend()
    assert list(table) == ["formal_proofs", "math", "math_tools", "science", "code", "chat", "conversational_agent"]
    assert table["math_tools"].hub_id == "nvidia/Nemotron-Math-v2" and sum(p.samples for p in table.values()) == 14121873
    paper = load_recipe("paper").sft
    assert sft_data.uses_blend(paper) and set(paper.blend) == set(table)
    assert sum(sft_data.counts(paper).values()) == 14121873


def test_blend_by_proportion_subset_or_repeat(blend_dir):
    r = recipe(blend_dir)
    rows = list(sft_data.iter_blend(r.sft, seed=0))
    by_part = Counter(m["messages"][1]["content"].split()[0] for m in rows)
    assert by_part == {"math": 4, "science": 2, "chat": 2}
    maths = [m["messages"][1]["content"] for m in rows if m["messages"][1]["content"].startswith("math")]
    assert len(set(maths)) == 4  # a random subset of the 10
    assert [m["messages"][1]["content"] for m in rows].count("science question 0") == 2  # the one row, repeated
    reply = rows[0]["messages"][-1]
    assert reply == {"role": "assistant", "content": f"<think>\nthinking about math {maths[0].split()[-1]}\n</think>\n\n"
                                                     f"math answer {maths[0].split()[-1]}"}
    assert rows == list(sft_data.iter_blend(r.sft, seed=0)) and rows != list(sft_data.iter_blend(r.sft, seed=1))


def test_both_backends_read_the_same_blend(blend_dir, tmp_path):
    r = recipe(blend_dir)
    plan = launch.plan(r, "sft", "sft", tmp_path / "runs")
    assert plan.data_file is not None and "--data.dataset" in plan.python_argv
    assert plan.python_argv[plan.python_argv.index("--data.dataset") + 1] == str(plan.data_file)
    launch.prepare(plan, r)
    written = [json.loads(x) for x in plan.data_file.read_text().splitlines()]
    local = data.sft_dataset(r, r.seed)
    assert len(written) == 8 and [w["messages"] for w in written] == [
        [{k: v for k, v in m.items() if v is not None} for m in ms] for ms in local["messages"]]


def test_bad_rows_and_missing_parts_are_named(blend_dir):
    (blend_dir / "chat.jsonl").write_text(json.dumps(row(0, "chat")) + "\n" + json.dumps(
        {"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    with pytest.raises(UserError, match=r"chat\.jsonl:2: the last message must be the assistant's"):
        list(sft_data.iter_blend(recipe(blend_dir).sft, seed=0))
    with pytest.raises(UserError, match=r"no file for the blend part 'code' \(Code\); expected one of code\.jsonl"):
        list(sft_data.iter_blend(recipe(blend_dir, blend={"code": 1.0}).sft, seed=0))
    assert not sft_data.uses_blend(recipe(blend_dir, blend={"math": 0.5, "if": 0.5}).sft)  # micro domains
