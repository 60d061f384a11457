"""The report stage on a synthetic finished run: figures come from the run's samples, CIs are paired."""

from __future__ import annotations

import json
import logging

from pipeline_helpers import write_study

from harness.pipeline.context import StageContext
from harness.pipeline.report import report_stage
from harness.recipe import Recipe


def test_report_checks_findings(tmp_path):
    root = tmp_path / "runs" / "t"
    write_study(root)
    (root / "analysis" / "compute").mkdir(parents=True)
    (root / "analysis" / "compute" / "compute.json").write_text(json.dumps({"multi_over_singles": 0.5}))
    out = tmp_path / "out"
    out.mkdir()
    ctx = StageContext(recipe=Recipe(name="t"), name="report", kind="report", param=None, out=out,
                       inputs={"analysis": root / "analysis"}, run_root=root, seed=0, log=logging.getLogger("t"))
    report_stage(ctx)
    text = (out / "report.md").read_text()
    data = json.loads((out / "report.json").read_text())
    assert "| merge-ties | +" in text and "rl-multi better" in text
    assert data["mix_vs_merge"]["merge-ties"]["ci_low"] > 0.3
    assert "**50.0%**" in text
    cell = data["matrix"]["rl-math|micro-math"]
    assert cell["ci_low"] > 0.4
    assert data["matrix"]["rl-math|micro-code"]["ci_low"] < 0 < data["matrix"]["rl-math|micro-code"]["ci_high"]
    assert "Own-domain gains significant for 4/4" in text
    assert (root / "report.md").is_symlink()
