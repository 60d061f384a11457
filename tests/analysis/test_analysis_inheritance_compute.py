"""Inheritance on hand-made eval samples; compute ledger on hand-made manifests (incl. the paper's 33.2%)."""

from __future__ import annotations

import json

import pytest

from harness.analysis.compute import analyze_compute, format_compute, paper_reference
from harness.analysis.inheritance import analyze_inheritance
from harness.cli import main
from harness.errors import UserError


def _eval(root, name, outcomes: dict[str, list[int]], writer, answers: dict[str, str] | None = None):
    for suite, correct in outcomes.items():
        rows = []
        for i, c in enumerate(correct):
            for _k in range(2):  # K = 2 identical samples per problem
                row = {"id": f"q{i}", "prompt": "p", "completion": "c", "verdict": {"correct": bool(c)}, "details": {}}
                if answers:
                    row["details"]["answer"] = answers[suite][i]
                rows.append(row)
        writer(root / name / "model-x" / suite / "samples.jsonl", rows)
    return root / name


def test_inheritance_rates(tmp_path, samples_writer):
    w = samples_writer
    math = _eval(tmp_path, "math", {"micro-math": [1, 1, 0, 0], "micro-code": [0, 0, 0, 0]}, w,
                 {"micro-math": ["1", "2", "3", "4"], "micro-code": list("abcd")})
    code = _eval(tmp_path, "code", {"micro-math": [0, 0, 0, 0], "micro-code": [1, 1, 1, 0]}, w)
    merged = _eval(tmp_path, "merged", {"micro-math": [1, 1, 0, 1], "micro-code": [1, 0, 1, 0]}, w,
                   {"micro-math": ["1", "2", "9", "4"], "micro-code": list("abcd")})
    res = analyze_inheritance({"merge-ties": merged}, {"math": math, "code": code}, tmp_path / "out")
    rows = {(r["suite"], r["single"]): r for r in res["rows"]}
    own_math = rows[("micro-math", "math")]
    assert own_math["own"] and own_math["problems"] == 4
    assert own_math["agreement"] == pytest.approx(3 / 4)
    assert own_math["retained"] == pytest.approx(1.0)
    assert (own_math["gained"], own_math["lost"]) == (1, 0)
    assert own_math["answer_match"] == pytest.approx(3 / 4)
    assert own_math["divergence"] == pytest.approx(1 / 4)
    own_code = rows[("micro-code", "code")]
    assert own_code["agreement"] == pytest.approx(3 / 4) and own_code["retained"] == pytest.approx(2 / 3)
    assert not rows[("micro-math", "code")]["own"]
    assert res["summary"]["merge-ties"]["own_agreement"] == pytest.approx(3 / 4)
    assert (tmp_path / "out" / "inheritance.csv").exists()


def test_suite_domain_from_results_json(tmp_path, samples_writer):
    math = _eval(tmp_path, "math", {"oddname": [1, 0]}, samples_writer)
    merged = _eval(tmp_path, "merged", {"oddname": [1, 0]}, samples_writer)
    (math / "model-x" / "oddname" / "results.json").write_text(json.dumps({"domain": "math"}))
    res = analyze_inheritance({"m": merged}, {"rl-math": math})
    assert res["rows"][0]["domain"] == "math" and res["rows"][0]["own"] and res["rows"][0]["agreement"] == 1.0


def test_inheritance_reports_missing_samples(tmp_path, samples_writer):
    d = _eval(tmp_path, "math", {"micro-math": [1]}, samples_writer)
    with pytest.raises(UserError, match="no micro-code/samples.jsonl"):
        analyze_inheritance({"m": d}, {"math": d}, suites=["micro-code"])


def _manifest(run, stage, seconds, device="cuda"):
    (run / stage).mkdir(parents=True)
    (run / stage / "manifest.json").write_text(json.dumps(
        {"stage": stage, "wall_seconds": seconds, "device_seconds": seconds * 3600, "device": device,
         "status": "done"}))


def test_compute_fraction_and_paper_reference(tmp_path, capsys):
    run = tmp_path / "runs" / "r"
    for stage, h in [("rl-math", 2172.8), ("rl-code", 3187.2), ("rl-science", 787.2), ("rl-if", 377.6),
                     ("rl-multi", 2166.4), ("opd-multi", 816.0), ("sft", 10.0)]:
        _manifest(run, stage, h)
    res = analyze_compute(run, tmp_path / "out")
    assert res["multi_over_singles"] == pytest.approx(0.332, abs=5e-4)
    assert paper_reference()["multi_over_singles"] == pytest.approx(0.332, abs=5e-4)
    assert "33.2%" in format_compute(res)
    assert main(["analyze", "compute", "--runs", str(run)]) == 0
    assert "multi-task RL / four single-domain RL runs: 33.2%" in capsys.readouterr().out


def test_compute_partial_run_and_errors(tmp_path, capsys):
    run = tmp_path / "r"
    _manifest(run, "rl-math", 1.0, "cpu")
    res = analyze_compute(run)
    assert res["multi_over_singles"] is None and "n/a" in format_compute(res)
    assert main(["analyze", "compute", "--runs", str(tmp_path / "missing")]) == 2
    assert "run directory not found" in capsys.readouterr().err
