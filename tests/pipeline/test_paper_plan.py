"""`mixmerge reproduce --recipe paper`: the dry-run prints the OpenRLHF launches, the GPU-hours total and (with
the Ray executor) every stage's Ray resources; without a GPU the real run stops before anything is written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RL = ["rl-math", "rl-code", "rl-science", "rl-if", "rl-multi"]


def mm(*args, env=None):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          env=env or os.environ.copy())


def stage_line(out: str, stage: str) -> str:
    return next(line for line in out.splitlines() if re.match(rf"\s+{re.escape(stage)}\s", line))


def test_paper_dry_run_lists_openrlhf_stages_gpu_hours_and_ray_resources(tmp_path):
    runs = tmp_path / "runs"
    r = mm("reproduce", "--recipe", "paper", "--dry-run", "--runs", str(runs), "--executor", "ray")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "executor ray" in out
    for s in ["sft", *RL]:
        assert "openrlhf image (GPU)" in stage_line(out, s), s
    assert out.count("-m openrlhf.cli.train_ppo_ray") == 5 and out.count("-m openrlhf.cli.train_sft") == 1
    assert "--rollout.n_samples_per_prompt 16" in out and "--actor.eps_clip_low_high 0.2 0.28" in out
    assert "estimated GPU hours (paper's table): 9,507.2" in out  # the paper's table sums to 9,507.2
    assert "~2,173 GPU-h (paper)" in stage_line(out, "rl-math")
    for s in RL:
        assert "ray: 16 CPU, 8 GPU" in stage_line(out, s), s
    assert "ray: 8 CPU, 0 GPU, 48 GB" in stage_line(out, "merge-ties")
    assert "ray: 8 CPU, 1 GPU" in stage_line(out, "eval-rl-multi")
    assert "eval image, vLLM (GPU)" in stage_line(out, "eval-sft")
    assert "MT-OPD: the local TRL path on one GPU" in out
    assert "ray resources: largest task 16 CPU / 8 GPU; 21 of 31 tasks ask for GPUs" in out
    assert not runs.exists(), "a dry run created the run store"


def test_paper_without_a_gpu_stops_with_exit_2_and_creates_no_run_directory(tmp_path):
    runs = tmp_path / "runs"
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no nvidia-smi on this PATH
    r = mm("reproduce", "--recipe", "paper", "--runs", str(runs), env=env)
    assert r.returncode == 2, r.stdout[-2000:] + r.stderr[-2000:]
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and "no GPU is visible here" in err[0] and "6 stages on GPUs (OpenRLHF)" in err[0]
    assert "--executor ray" in err[0]
    assert not runs.exists(), "the refused run created the run store"


def test_paper_rehearsal_keeps_the_paper_graph_and_suites():
    from harness.pipeline.stages import plan
    from harness.recipe import load_recipe

    paper, rehearsal = load_recipe("paper"), load_recipe("paper-rehearsal")
    assert [s.name for s in plan(rehearsal)] == [s.name for s in plan(paper)]
    assert [(s.name, s.deps) for s in plan(rehearsal)] == [(s.name, s.deps) for s in plan(paper)]
    assert rehearsal.eval.suites == paper.eval.suites and set(rehearsal.eval.data) == set(paper.eval.suites)
    assert rehearsal.merge.methods == paper.merge.methods
    for a, b in ((rehearsal.grpo, paper.grpo), (rehearsal.rl_multi, paper.rl_multi)):
        assert (a.eps_low, a.eps_high, a.kl_coef, a.temperature, a.think_gate) == (
            b.eps_low, b.eps_high, b.kl_coef, b.temperature, b.think_gate)
    assert (rehearsal.eval.temperature, rehearsal.eval.top_p) == (paper.eval.temperature, paper.eval.top_p)
    assert rehearsal.gpu_hours == paper.gpu_hours
