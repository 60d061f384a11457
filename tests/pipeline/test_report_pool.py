"""The pooled report over seeds: pooled CIs over the union of problems, per-seed figures, findings checked."""

from __future__ import annotations

import pytest
from pipeline_helpers import write_study

from harness.eval.metrics import paired_bootstrap
from harness.pipeline.report_pool import PooledScores, main, pooled_report


def make_run(root, multi_code=0.9):
    return write_study(root, multi={"micro-code": multi_code}, n=40, salt=root.name)


def test_pooled_scores_are_the_union_of_the_seeds_problems(tmp_path):
    a, b = make_run(tmp_path / "s0"), make_run(tmp_path / "s1", multi_code=0.3)
    pooled = PooledScores({"s0": a, "s1": b})
    got = pooled.get("rl-multi", "micro-code")
    assert len(got) == 80 and {k.split(":")[0] for k in got} == {"s0", "s1"}
    x = [got[k] for k in sorted(got)]
    y = [pooled.get("sft", "micro-code")[k] for k in sorted(got)]
    assert pooled.paired("rl-multi", "sft", ["micro-code"]) == paired_bootstrap(x, y)


def test_pooled_report_per_seed_and_pooled_findings(tmp_path, capsys):
    a, b = make_run(tmp_path / "s0"), make_run(tmp_path / "s1", multi_code=0.3)
    out = tmp_path / "pooled"
    data = pooled_report({"s0": a, "s1": b}, out)
    assert data["hold"]["s0"] == {"singles_beat_sft_on_own_domain": True, "multi_improves_all_four": True}
    assert data["hold"]["s1"]["multi_improves_all_four"] is False  # seed 1's rl-multi learnt no code
    assert data["hold"]["pooled"]["singles_beat_sft_on_own_domain"] is True
    text = (out / "report.md").read_text()
    assert "findings pooled over 2 seeds (s0, s1)" in text and "## s1" in text and "per seed: s0 / s1" in text
    same_name = make_run(tmp_path / "x" / "s0")  # two stores of one recipe name: tagged by their paths
    assert main([str(a), str(same_name), "--out", str(tmp_path / "p2")]) == 0
    assert f"({a}, {same_name})" in (tmp_path / "p2" / "report.md").read_text()
    assert main([str(a), str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "missing: run directory not found" in capsys.readouterr().err


def test_pooled_report_needs_sft_everywhere(tmp_path):
    a = make_run(tmp_path / "s0")
    (tmp_path / "s1").mkdir()
    from harness.errors import UserError

    with pytest.raises(UserError, match="no eval-sft in every run"):
        pooled_report({"s0": a, "s1": tmp_path / "s1"}, tmp_path / "out")
