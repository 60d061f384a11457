"""A fresh leaderboard against a committed reference: inside the reference CI passes, outside or missing fails."""

from __future__ import annotations

from lb_helpers import SCORES, write_results

from leaderboard import build
from leaderboard.reference_check import compare, main


def _board(tmp_path, name, scores=SCORES):
    build([write_results(tmp_path / f"res-{name}", scores)], tmp_path / name)
    return tmp_path / name / "leaderboard.csv"


def test_same_results_hold_and_a_moved_figure_fails(tmp_path, capsys):
    ref = _board(tmp_path, "ref")
    assert compare(_board(tmp_path, "same"), ref) == []
    moved = {**SCORES, "rl-math": {**SCORES["rl-math"], "micro-math": [[1, 1, 1, 1]] * 10}}  # 75% -> 100%
    fresh = _board(tmp_path, "moved", moved)
    bad = compare(fresh, ref)
    assert len(bad) == 1 and bad[0].startswith("rl-math / micro-math: 100.00 outside")
    assert compare(fresh, ref, tol=100.0) == []
    assert main([str(fresh), str(ref)]) == 1
    assert "5/6 reference rows hold" in capsys.readouterr().out


def test_missing_rows_and_bad_files(tmp_path, capsys):
    ref = _board(tmp_path, "ref")
    fewer = _board(tmp_path, "fewer", {k: v for k, v in SCORES.items() if k != "sft"})
    assert sum("missing from" in x for x in compare(fewer, ref)) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("variant,benchmark,metric,value,ci_low,ci_high,k,n,source\nsft,m,accuracy,x,1,2,4,10,measured\n")
    assert main([str(bad), str(ref)]) == 2
    assert "bad.csv:2: expected numbers" in capsys.readouterr().err
    assert main([str(tmp_path / "none.csv"), str(ref)]) == 2
