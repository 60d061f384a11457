"""The whole study at toy size (tests/e2e/smoke.yaml) through the CLI with every real stage — TRL, mergekit, the
sandbox, the verifiers, eval, leaderboard, analysis, report — nothing stubbed:

- a cold run finishes all 31 stages; a re-run is fully cached;
- a second cold run killed with SIGKILL in the middle of a stage resumes without recomputing finished stages and
  ends with byte-identical models, samples and leaderboard (same seed, same machine)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
RECIPE = HERE / "smoke.yaml"
STAGES = 31


def reproduce(runs: Path, timeout: int = 1500) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "harness.cli", "reproduce", "--recipe", str(RECIPE), "--runs", str(runs)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def output_ids(root: Path) -> dict[str, str]:
    return {p.parent.name: json.loads(p.read_text())["output_id"] for p in root.glob("*/manifest.json")}


def artifacts(root: Path) -> dict[str, bytes]:
    files = [*root.glob("*/model/model.safetensors"), *root.glob("eval-*/*/*/samples.jsonl"),
             root / "leaderboard" / "leaderboard.csv"]
    return {str(f.relative_to(root)): f.read_bytes() for f in files}


@pytest.mark.slow
def test_whole_study_cold_cached_killed_and_deterministic(tmp_path):
    a = reproduce(tmp_path / "a")
    assert a.returncode == 0, a.stdout[-3000:] + a.stderr[-3000:]
    root_a = tmp_path / "a" / "smoke"
    assert len(output_ids(root_a)) == STAGES
    assert (root_a / "report.md").read_text().startswith("# Mix or merge?")
    header = (root_a / "leaderboard" / "leaderboard.csv").read_text().splitlines()[0]
    assert header == "variant,benchmark,metric,value,ci_low,ci_high,k,n,source"
    assert (root_a / "leaderboard" / "leaderboard.html").exists()

    # a cached re-run does no work: every stage reports cached and no stage's file is rewritten (what makes it
    # fast, asserted without a clock: its wall time depends on the machine's load)
    written = {p: p.stat().st_mtime_ns for p in root_a.glob("*/**/*") if p.is_file() and ".tmp" not in p.parts}
    cached = reproduce(tmp_path / "a", timeout=600)
    assert cached.returncode == 0 and cached.stdout.count(" cached") == STAGES
    rewritten = [str(p) for p, t in written.items() if not p.exists() or p.stat().st_mtime_ns != t]
    assert not rewritten, rewritten[:5]

    # run b: SIGKILL while rl-science is being built, then resume
    runs_b = tmp_path / "b"
    cmd = [sys.executable, "-m", "harness.cli", "reproduce", "--recipe", str(RECIPE), "--runs", str(runs_b)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tmp_dir = runs_b / "smoke" / ".tmp"
    deadline = time.time() + 600
    while time.time() < deadline and not list(tmp_dir.glob("rl-science.*")):
        time.sleep(0.05)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    root_b = runs_b / "smoke"
    before = output_ids(root_b)
    assert "rl-code" in before and "rl-science" not in before
    b = reproduce(runs_b)
    assert b.returncode == 0, b.stdout[-3000:] + b.stderr[-3000:]
    after = output_ids(root_b)
    assert all(after[s] == before[s] for s in before), "a finished stage was recomputed"
    assert len(after) == STAGES
    assert artifacts(root_b) == artifacts(root_a)
