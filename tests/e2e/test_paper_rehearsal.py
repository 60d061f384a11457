"""The paper's path on CPU (recipes/paper-rehearsal.yaml): the paper's 31-stage graph on the micro model with the
local backend, evaluated on the paper's nine benchmark suites read from their published files under
``$MIXMERGE_EXTERNAL``; it ends with the leaderboard (nine benchmarks x 14 variants) and the findings report."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

SUITES = ["aime24", "aime25", "lcb-v5", "lcb-v6", "hle", "gpqa-diamond", "ifeval", "ifbench", "mmlu-redux"]
VARIANTS = 14
STAGES = 31


@pytest.mark.slow
def test_rehearsal_runs_end_to_end_with_all_nine_benchmarks(tmp_path, external):
    runs = tmp_path / "runs"
    cmd = [sys.executable, "-m", "harness.cli", "reproduce", "--recipe", "paper-rehearsal", "--runs", str(runs)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"{STAGES}/{STAGES} stages done" in r.stdout
    root = runs / "paper-rehearsal"
    rows = [x for x in csv.DictReader((root / "leaderboard/leaderboard.csv").open()) if x["source"] == "measured"]
    cells = {(x["variant"], x["benchmark"]) for x in rows}
    variants = {v for v, _ in cells}
    assert {b for _, b in cells} == set(SUITES) and len(variants) == VARIANTS
    assert len(cells) == len(SUITES) * VARIANTS, "a (variant, benchmark) cell is missing"
    assert all(int(x["n"]) == 2 for x in rows)  # eval.limit: 2 problems of each published file
    overview = next(line for line in (root / "report.md").read_text().splitlines() if line.startswith("| variant"))
    assert all(s in overview for s in SUITES), overview
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and again.stdout.count(" cached") == STAGES


def test_rehearsal_data_files_are_the_published_ones(external):
    from harness.eval.stages import recipe_data
    from harness.recipe import load_recipe

    files = recipe_data(load_recipe("paper-rehearsal").eval.data)
    assert set(files) == set(SUITES)
    assert all(Path(p).is_relative_to(external) and Path(p).exists() for p in files.values())


def test_a_missing_eval_data_file_names_its_field(external):
    from harness.errors import UserError
    from harness.eval.stages import recipe_data

    with pytest.raises(UserError, match=r"eval\.data\.aime24: .*nope\.jsonl does not exist"):
        recipe_data({"aime24": "${MIXMERGE_EXTERNAL}/benchmarks/nope.jsonl"})


def test_rehearsal_rl_data_is_the_nemotron_blend_format(external):
    """Each RL domain of the rehearsal draws the blend-format rows of its own subsets (5 a file), none micro."""
    from harness.recipe import load_recipe
    from harness.train.data import rl_examples

    recipe = load_recipe("paper-rehearsal")
    for domain in ("math", "code", "science", "if"):
        rows = rl_examples(recipe, domain, recipe.seed)
        assert len(rows) == 5 and {r["domain"] for r in rows} == {domain}
        assert {r["meta"]["source"] for r in rows} == {"nemotron"}
        assert all(r["meta"]["subset"].startswith("nano_v3_sft_profiled_") for r in rows)
