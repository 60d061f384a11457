"""`mixmerge status` output over a real run store, and every shipped recipe file loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.pipeline import stages
from harness.pipeline.runner import Runner
from harness.recipe import Recipe, load_recipe

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


@pytest.fixture
def fake_stages(tmp_path, monkeypatch):
    saved = dict(stages.KINDS)
    monkeypatch.syspath_prepend(str(HERE))
    import fake_stages as fs

    fs.install()
    monkeypatch.setenv("FAKE_LEDGER", str(tmp_path / "ledger.txt"))
    yield
    stages.KINDS.clear()
    stages.KINDS.update(saved)


def test_status_lists_every_stage_with_its_state(fake_stages, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps to the terminal width
    (tmp_path / "t.yaml").write_text("name: t\n")
    runs = tmp_path / "runs"
    Runner(Recipe(name="t"), runs, echo=lambda *a: None).run(until="rl-math")
    monkeypatch.setenv("FAKE_FAIL", "rl-code")
    Runner(Recipe(name="t"), runs, echo=lambda *a: None).run(until="rl-code")
    capsys.readouterr()
    assert main(["status", "--recipe", str(tmp_path / "t.yaml"), "--runs", str(runs)]) == 0
    out = capsys.readouterr().out
    names = [s.name for s in stages.plan(Recipe(name="t"))]
    state = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("│┃|").split("│")]
        if cells and cells[0] in names:
            state[cells[0]] = cells[1]
            if cells[1] == "done":
                assert cells[2] != "-" and cells[4] != "-", line  # wall time and finish time of a finished stage
    assert set(state) == set(names), out
    assert {n for n, s in state.items() if s == "done"} == {"base", "sft", "rl-math"}
    assert state["rl-code"] == "failed"
    assert {s for n, s in state.items() if n not in ("base", "sft", "rl-math", "rl-code")} == {"pending"}
    assert f"\n3/{len(names)} done\n" in out
    assert out.strip().splitlines()[-1].startswith("rl-code failed: its log (and traceback) is ")  # status names it
    assert f"t: {runs / 't'}" in out.replace("\n", "")  # the title names the run root


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "recipes").glob("*.yaml")))
def test_every_shipped_recipe_loads(name):
    r = load_recipe(name)
    assert r.name and stages.plan(r)
    assert load_recipe(str(ROOT / "recipes" / f"{name}.yaml")) == r


def test_micro_seed1_is_micro_with_another_seed():
    micro, seed1 = load_recipe("micro"), load_recipe("micro-seed1")
    assert seed1.seed == 1 and micro.seed == 0, (micro.seed, seed1.seed)
    assert seed1.name != micro.name  # its own run store
    assert seed1.model_dump(exclude={"name", "seed"}) == micro.model_dump(exclude={"name", "seed"})


def test_malformed_data_line_names_file_and_line(tmp_path, capsys):
    data = tmp_path / "aime.jsonl"
    data.write_text('{"id": 1, "problem": "p", "answer": "2"}\n{"id": 2, "problem": \n')
    resp = tmp_path / "r.jsonl"
    resp.write_text('{"id": 1, "response": "\\\\boxed{2}"}\n')
    assert main(["score", "--suite", "aime24", "--data", str(data), "--responses", str(resp)]) == 2
    err = capsys.readouterr().err
    assert f"{data}:2: malformed line" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    data.write_text('{"id": 1, "problem": "p"}\n')
    assert main(["score", "--suite", "aime24", "--data", str(data), "--responses", str(resp)]) == 2
    err = capsys.readouterr().err
    assert f"{data}:1:" in err and "answer" in err and len(err.strip().splitlines()) == 1
