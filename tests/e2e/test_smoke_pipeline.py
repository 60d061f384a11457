"""The real stages wired together at toy size (tests/e2e/smoke.yaml): base → sft → rl-* → merge-ties →
eval-merge-ties through the CLI, then a fully cached re-run. Nothing is stubbed: TRL, mergekit, the sandbox and
the verifiers all run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from transformers import AutoModelForCausalLM

HERE = Path(__file__).parent


@pytest.mark.slow
def test_smoke_recipe_through_a_merge_and_its_eval(tmp_path):
    cmd = [sys.executable, "-m", "harness.cli", "reproduce", "--recipe", str(HERE / "smoke.yaml"),
           "--runs", str(tmp_path), "--until", "eval-merge-ties"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    root = tmp_path / "smoke"
    for stage in ("base", "sft", "rl-math", "rl-code", "rl-science", "rl-if", "merge-ties", "eval-merge-ties"):
        m = json.loads((root / stage / "manifest.json").read_text())
        assert m["status"] == "done" and m["device_seconds"] > 0, stage
    AutoModelForCausalLM.from_pretrained(root / "merge-ties" / "model")
    assert (root / "merge-ties" / "model" / "mergekit_config.yml").exists()
    results = sorted((root / "eval-merge-ties").rglob("results.json"))
    assert {p.parent.name for p in results} == {"micro-math", "micro-code", "micro-science", "micro-if", "micro-general"}
    t0 = time.time()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0
    assert again.stdout.count(" cached") == 8 and "running" not in again.stdout
    assert time.time() - t0 < 60
