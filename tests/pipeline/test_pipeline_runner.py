from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.pipeline import stages
from harness.pipeline.runner import Runner
from harness.recipe import Recipe

HERE = Path(__file__).parent


@pytest.fixture
def fake_env(tmp_path, monkeypatch):
    saved = dict(stages.KINDS)
    sys.path.insert(0, str(HERE))
    import fake_stages

    fake_stages.install()
    ledger = tmp_path / "ledger.txt"
    ledger.touch()
    monkeypatch.setenv("FAKE_LEDGER", str(ledger))
    yield ledger
    stages.KINDS.clear()
    stages.KINDS.update(saved)
    sys.path.remove(str(HERE))


def runs(ledger: Path) -> list[str]:
    return ledger.read_text().split()


def test_plan_is_the_study_dag():
    names = [s.name for s in stages.plan(Recipe(name="x"))]
    assert names[:2] == ["base", "sft"]
    for st in ["rl-math", "rl-code", "rl-science", "rl-if", "rl-multi", "merge-average", "merge-ta", "merge-ties",
               "merge-ties-dare", "merge-ta-dare", "merge-sce", "opd-multi", "leaderboard", "analysis", "report"]:
        assert st in names
    assert len([n for n in names if n.startswith("eval-")]) == 14
    pos = {n: i for i, n in enumerate(names)}
    for s in stages.plan(Recipe(name="x")):
        assert all(pos[d] < pos[s.name] for d in s.deps), s.name


def test_until_selects_ancestors_only():
    sel = [s.name for s in stages.select(stages.plan(Recipe(name="x")), "merge-ties")]
    assert sel == ["base", "sft", "rl-math", "rl-code", "rl-science", "rl-if", "merge-ties"]


def test_cached_rerun_skips_everything_and_manifests_are_complete(fake_env, tmp_path):
    r = Runner(Recipe(name="t"), tmp_path / "runs", echo=lambda *a: None)
    out = r.run(until="rl-math")
    assert [o.state for o in out] == ["done"] * 3
    assert runs(fake_env) == ["base", "sft", "rl-math"]
    m = json.loads((tmp_path / "runs/t/rl-math/manifest.json").read_text())
    for key in ("inputs_hash", "seed", "packages", "wall_seconds", "device_seconds", "git_commit", "recipe_sections",
                "output_id", "code_version"):
        assert key in m
    assert m["metrics"] == {"x": 1} and m["status"] == "done"
    out = r.run(until="rl-math")
    assert [o.state for o in out] == ["cached"] * 3
    assert runs(fake_env) == ["base", "sft", "rl-math"]


def test_recipe_change_reruns_only_affected_stages(fake_env, tmp_path):
    Runner(Recipe(name="t"), tmp_path / "runs", echo=lambda *a: None).run(until="rl-math")
    r2 = Runner(Recipe(name="t", grpo={"steps": 7}), tmp_path / "runs", echo=lambda *a: None)
    assert [o.state for o in r2.run(until="rl-math")] == ["cached", "cached", "done"]


def test_multi_task_settings_retrain_only_the_multi_task_model(fake_env, tmp_path):
    Runner(Recipe(name="t"), tmp_path / "runs", echo=lambda *a: None).run(until="rl-multi")
    Runner(Recipe(name="t"), tmp_path / "runs", echo=lambda *a: None).run(until="rl-math")
    r2 = Runner(Recipe(name="t", rl_multi={"steps": 7}), tmp_path / "runs", echo=lambda *a: None)
    assert [o.state for o in r2.run(until="rl-math")] == ["cached", "cached", "cached"]
    assert [o.state for o in r2.run(until="rl-multi")] == ["cached", "cached", "done"]
    r3 = Runner(Recipe(name="t", rl_multi={"steps": 7}, grpo={"steps": 7}), tmp_path / "runs", echo=lambda *a: None)
    assert [o.state for o in r3.run(until="rl-multi")] == ["cached", "cached", "cached"]


def test_force_rebuilds_stage_and_invalidates_downstream(fake_env, tmp_path):
    r = Runner(Recipe(name="t"), tmp_path / "runs", echo=lambda *a: None)
    r.run(until="rl-math")
    out = r.run(until="rl-math", force=("sft",))
    assert [o.state for o in out] == ["cached", "done", "done"]


def test_failed_stage_keeps_finished_work_and_is_reported(fake_env, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_FAIL", "sft")
    r = Runner(Recipe(name="t"), tmp_path / "runs", echo=lambda *a: None)
    out = r.run(until="rl-math")
    assert [o.state for o in out] == ["done", "failed"]
    assert (tmp_path / "runs/t/base/manifest.json").exists()
    assert not (tmp_path / "runs/t/sft").exists()
    assert {row["stage"]: row["state"] for row in r.status_rows()}["sft"] == "failed"
    monkeypatch.delenv("FAKE_FAIL")
    assert [o.state for o in r.run(until="rl-math")] == ["cached", "done", "done"]


def test_kill_9_mid_stage_resumes_without_recomputing(fake_env, tmp_path):
    flag = tmp_path / "hanging"
    env = {**os.environ, "FAKE_HANG": "rl-math", "FAKE_HANG_FLAG": str(flag)}
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = f"{root}{os.pathsep}{env.get('PYTHONPATH', '')}"
    p = subprocess.Popen([sys.executable, str(HERE / "fake_stages.py"), str(tmp_path / "runs"), "rl-math"], env=env)
    deadline = time.time() + 60
    while not flag.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert flag.exists(), "the stage never started"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    root_t = tmp_path / "runs/t"
    assert not (root_t / "rl-math").exists(), "a half-built stage is visible"
    assert any((root_t / ".tmp").iterdir()), "the partial build should be in .tmp"
    r = Runner(Recipe(name="t"), tmp_path / "runs", echo=lambda *a: None)
    out = r.run(until="rl-math")
    assert [o.state for o in out] == ["cached", "cached", "done"]
    assert runs(fake_env) == ["base", "sft", "rl-math", "rl-math"]
    assert not list((root_t / ".tmp").glob("rl-math.*")), "leftovers of the killed build were not cleaned"
    assert json.loads((root_t / "rl-math/out.json").read_text())["upstream"] == ["sft"]


def test_not_built_stage_stops_with_one_line(tmp_path, monkeypatch):
    saved = dict(stages.KINDS)
    try:
        stages.KINDS["base"] = stages.Kind("harness.does_not_exist:fn", "1", ("base",), "#99")
        out = Runner(Recipe(name="t"), tmp_path / "runs", echo=lambda *a: None).run()
        assert out[-1].state == "not-built" and "not built yet" in out[-1].message and "#99" in out[-1].message
    finally:
        stages.KINDS.clear()
        stages.KINDS.update(saved)
