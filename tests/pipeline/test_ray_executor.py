"""The Ray executor against a real Ray started here (``ray.init(num_cpus=2)``), with the stand-in stages of
``fake_stages.py``: independent stages overlap, a stage raising in a worker leaves its traceback in its stage log,
``--keep-going`` ends in the same states as the local executor, and SIGKILL of the driver mid-run then a re-run
recomputes no finished stage. The toy study through the CLI is in tests/e2e/test_ray_study.py."""

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

if os.environ.get("CI"):  # CI installs the extra (.ci/run): a missing Ray fails there, never skips
    import ray
else:
    ray = pytest.importorskip("ray", reason="the Ray executor's tests need the extra: pip install 'mixmerge[ray]'")
HERE = Path(__file__).parent
ROOT = HERE.parents[1]
RL = ["rl-math", "rl-code", "rl-science", "rl-if"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One local Ray for the module; workers import fake_stages from PYTHONPATH and read $FAKE_CONTROL."""
    saved_kinds, saved_env = dict(stages.KINDS), dict(os.environ)
    sys.path.insert(0, str(HERE))
    import fake_stages

    fake_stages.install()
    control = tmp_path_factory.mktemp("ray") / "control.json"
    os.environ["FAKE_CONTROL"] = str(control)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(HERE), os.environ.get("PYTHONPATH", "")])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield control
    ray.shutdown()
    stages.KINDS.clear()
    stages.KINDS.update(saved_kinds)
    sys.path.remove(str(HERE))
    os.environ.clear()
    os.environ.update(saved_env)


@pytest.fixture
def ctl(cluster, tmp_path):
    ledger = tmp_path / "ledger.txt"
    ledger.touch()

    def set_(**kw):
        cluster.write_text(json.dumps({"FAKE_LEDGER": str(ledger), **kw}))

    set_()
    set_.ledger = ledger
    yield set_
    cluster.write_text("{}")


def runner(path: Path) -> Runner:
    return Runner(Recipe(name="t"), path, echo=lambda *a: None)


def manifest(root: Path, stage: str) -> dict:
    return json.loads((root / "t" / stage / "manifest.json").read_text())


def test_independent_stages_overlap_and_hashes_match_local(ctl, tmp_path):
    ctl(FAKE_SLEEP="2", FAKE_SLEEP_KINDS="rl")
    out = runner(tmp_path / "ray").run(until="merge-ties", executor="ray")
    assert [o.state for o in out].count("done") == 7, out
    spans = {s: (manifest(tmp_path / "ray", s)["started_unix"], manifest(tmp_path / "ray", s)["finished_unix"])
             for s in RL}
    overlapping = [(a, b) for a in RL for b in RL if a < b and spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]]
    assert overlapping, f"no two RL stages overlapped in time: {spans}"
    ctl()
    runner(tmp_path / "local").run(until="merge-ties")
    assert manifest(tmp_path / "ray", "base")["inputs_hash"] == manifest(tmp_path / "local", "base")["inputs_hash"]
    # cached under the other executor: a ray-built store is resumed by the local executor and vice versa
    assert [o.state for o in runner(tmp_path / "ray").run(until="merge-ties")] == ["cached"] * 7


def test_stage_raising_in_a_worker_logs_traceback_and_keep_going_matches_local(ctl, tmp_path):
    ctl(FAKE_FAIL="rl-code")
    states = {}
    for ex in ("local", "ray"):
        out = runner(tmp_path / ex).run(until="analysis", keep_going=True, executor=ex)
        states[ex] = {o.stage: o.state for o in out}
    assert states["ray"] == states["local"]
    assert states["ray"]["rl-code"] == "failed" and states["ray"]["rl-math"] == "done"
    assert states["ray"]["merge-ties"] == "blocked" and states["ray"]["eval-rl-math"] == "done"
    log = (tmp_path / "ray/t/logs/rl-code.log").read_text()
    assert "Traceback (most recent call last)" in log and "RuntimeError: boom" in log and "fake_stages.py" in log
    assert not (tmp_path / "ray/t/rl-code").exists()
    failed = next(o for o in out if o.stage == "rl-code")
    assert "traceback in" in failed.message and "rl-code.log" in failed.message
    # without --keep-going: nothing new starts after the failure; what was already running (eval-base, beside
    # sft) finishes and is kept
    ctl(FAKE_FAIL="sft")
    out = runner(tmp_path / "stop").run(until="analysis", executor="ray")
    got = {o.stage: o.state for o in out}
    assert got["base"] == "done" and got["sft"] == "failed" and set(got) <= {"base", "sft", "eval-base"}, got


def test_sigkill_of_the_driver_then_rerun_recomputes_no_finished_stage(ctl, tmp_path):
    import psutil

    flag = tmp_path / "hanging"
    ctl(FAKE_HANG="rl-science", FAKE_HANG_FLAG=str(flag))
    env = {**os.environ}
    p = subprocess.Popen([sys.executable, str(HERE / "fake_stages.py"), str(tmp_path / "runs"), "merge-ties", "ray"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not flag.exists() and time.time() < deadline:
        time.sleep(0.2)
    assert flag.exists(), "rl-science never started"
    time.sleep(1.0)  # the other RL stages (1 s or less each) finish meanwhile
    children = psutil.Process(p.pid).children(recursive=True)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    psutil.wait_procs(children, timeout=60)  # its Ray (raylet, workers) shares the driver's fate
    root = tmp_path / "runs/t"
    before = {m.parent.name: json.loads(m.read_text())["output_id"] for m in root.glob("*/manifest.json")}
    assert "sft" in before and "rl-science" not in before and "merge-ties" not in before
    ctl()
    ctl.ledger.write_text("")
    out = runner(tmp_path / "runs").run(until="merge-ties", executor="ray")
    assert all(o.state in ("cached", "done") for o in out)
    after = {m.parent.name: json.loads(m.read_text())["output_id"] for m in root.glob("*/manifest.json")}
    assert all(after[s] == before[s] for s in before), "a finished stage was recomputed"
    rebuilt = sorted(ctl.ledger.read_text().split())
    assert rebuilt == sorted({"base", "sft", *RL, "merge-ties"} - set(before)), rebuilt
    assert not list((root / ".tmp").glob("rl-science.*")), "leftovers of the killed build were not cleaned"
