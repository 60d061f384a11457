"""The analysis pipeline stage on tiny models and hand-made eval samples."""

from __future__ import annotations

import json
import logging

import pytest

from harness.pipeline.context import StageContext
from harness.recipe import Recipe


@pytest.mark.slow  # samples and scores five tiny policies pairwise
def test_analysis_stage_writes_all_four(geometry, tmp_path, samples_writer, monkeypatch):
    import harness.analysis.stages as stages

    monkeypatch.setattr(stages, "POLICY_PROMPTS_PER_SUITE", 1)
    monkeypatch.setattr(stages, "POLICY_MAX_NEW_TOKENS", 8)
    run = tmp_path / "runs" / "t"
    inputs = {}
    for stage, src in [("sft", "base"), ("rl-math", "a"), ("rl-code", "b"), ("rl-science", "indep"),
                       ("rl-if", "neg"), ("rl-multi", "b"), ("merge-ta", "a")]:
        (run / stage).mkdir(parents=True)
        (run / stage / "model").symlink_to(geometry[src])
        (run / stage / "manifest.json").write_text(json.dumps(
            {"stage": stage, "wall_seconds": 2.0, "device_seconds": 4.0, "device": "cpu", "status": "done"}))
        inputs[stage] = run / stage
    for variant in ("sft", "rl-math", "rl-code", "rl-science", "rl-if", "rl-multi", "merge-ta"):
        d = run / f"eval-{variant}"
        for suite in ("micro-math", "micro-code"):
            samples_writer(d / variant / suite / "samples.jsonl",
                           [{"id": f"{suite}-{i}", "sample": 0, "prompt": [{"role": "user", "content": f"question {i}"}],
                             "completion": "x", "verdict": {"correct": (i + len(variant)) % 2 == 0, "reward": 0.0},
                             "details": {"extracted": str(i)}} for i in range(3)])  # the eval runner's row shape
        inputs[f"eval-{variant}"] = d
    out = tmp_path / "out"
    out.mkdir()
    ctx = StageContext(recipe=Recipe(name="t"), name="analysis", kind="analysis", param=None, out=out,
                       inputs=inputs, run_root=run, seed=0, log=logging.getLogger("t"))
    extra = stages.analysis_stage(ctx)
    assert extra["analysis"]["skipped"] == {}
    assert (out / "weights" / "weights.json").exists()
    policy = json.loads((out / "policy" / "policy.json").read_text())
    assert len(policy["pairs"]) == 10  # five policies: four singles + multi
    inh = json.loads((out / "inheritance" / "inheritance.json").read_text())
    assert set(inh["summary"]) == {"rl-multi", "merge-ta"}
    comp = json.loads((out / "compute" / "compute.json").read_text())
    assert comp["multi_over_singles"] == 0.25
