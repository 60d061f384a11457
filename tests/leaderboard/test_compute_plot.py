"""The leaderboard's accuracy-vs-compute plot reads the same ledger as the compute analysis: counted FLOPs and
measured device-hours side by side, each with multi-task RL's share of the four single-domain runs."""

from __future__ import annotations

import json

import pytest

from harness.ledger import flops
from leaderboard.build import build
from leaderboard.collect import ledger_from_run

N = 1000
STAGES = {"rl-math": (40.0, 150, 150), "rl-code": (60.0, 350, 350), "rl-science": (40.0, 150, 150),
          "rl-if": (60.0, 350, 350), "rl-multi": (100.0, 300, 300)}  # device-s, forward tokens, trained tokens


@pytest.fixture
def run(tmp_path):
    root = tmp_path / "runs" / "r"
    for stage, (dev, fwd, trained) in STAGES.items():
        (root / stage).mkdir(parents=True)
        led = {"params": N, "generated_tokens": fwd, "prompt_tokens": 0, "forwarded_tokens": 0, "trained_tokens": trained,
               "sandbox_programs": 0, "batches": 1, "flops": flops(N, fwd, trained)}
        (root / stage / "manifest.json").write_text(json.dumps({"stage": stage, "device_seconds": dev, "compute_ledger": led}))
    return root


def _expected_flops_ratio():
    return 300 / (150 + 350 + 150 + 350)


def test_leaderboard_plot_gives_both_ratios(run, tmp_path, results_dir):
    info = build([results_dir], tmp_path / "lb", ledger_from_run(run), ledger_from_run(run, "flops"))
    assert info["multi_over_singles"]["flops"] == pytest.approx(_expected_flops_ratio())
    assert info["multi_over_singles"]["device_seconds"] == pytest.approx(0.5)
    assert info["multi_over_singles"]["paper_gpu_hours"] == pytest.approx(0.332, abs=5e-4)
    svg = (tmp_path / "lb" / "accuracy_vs_compute.svg").read_text()
    assert "counted FLOPs" in svg and "measured device-hours" in svg and "50.0%" in svg


