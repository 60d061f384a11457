"""The report stage on a synthetic finished run: figures come from the run's samples, CIs are paired."""

from __future__ import annotations

import json
import logging
import random

from harness.pipeline.context import StageContext
from harness.pipeline.report import report_stage
from harness.recipe import Recipe

SUITES = ["micro-math", "micro-code", "micro-science", "micro-if"]


def write_eval(root, variant, acc: dict[str, float], n=60, k=2, seed=0):
    rng = random.Random(f"{variant}{seed}")
    for suite in SUITES:
        d = root / f"eval-{variant}" / variant / suite
        d.mkdir(parents=True)
        with open(d / "samples.jsonl", "w") as f:
            for i in range(n):
                for _ in range(k):
                    f.write(json.dumps({"id": f"{suite}-{i}", "prompt": "p", "completion": "c",
                                        "correct": rng.random() < acc.get(suite, 0.3)}) + "\n")


def test_report_checks_findings(tmp_path):
    root = tmp_path / "runs" / "t"
    write_eval(root, "sft", {})
    for d in ("math", "code", "science", "if"):
        write_eval(root, f"rl-{d}", {f"micro-{d}": 0.9})
    write_eval(root, "rl-multi", {s: 0.9 for s in SUITES})
    write_eval(root, "merge-ties", {s: 0.3 for s in SUITES})
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
