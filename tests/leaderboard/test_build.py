import csv
import re

import pytest
from need import shared_file

from harness.cli import main
from harness.errors import UserError
from leaderboard import CSV_HEADER, build
from leaderboard.reference import REFERENCE_DIR, paper_compute


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_long_format_measured_and_paper(results_dir, tmp_path):
    out = tmp_path / "lb"
    info = build([results_dir], out, ledger={"rl-math": 3600.0, "rl-if": 7200.0})
    rows = read_csv(out / "leaderboard.csv")
    assert rows[0] == CSV_HEADER == "variant,benchmark,metric,value,ci_low,ci_high,k,n,source".split(",")
    recs = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    acc = {(r["variant"], r["benchmark"]): r for r in recs if r["source"] == "measured" and r["metric"] == "accuracy"}
    assert float(acc["rl-math", "micro-math"]["value"]) == pytest.approx(37.5)  # 5 x 3/4 + 5 x 0 over 10
    assert acc["rl-math", "micro-math"]["k"] == "4" and acc["rl-math", "micro-math"]["n"] == "10"
    lo, hi = float(acc["rl-math", "micro-math"]["ci_low"]), float(acc["rl-math", "micro-math"]["ci_high"])
    assert 0 <= lo < 37.5 < hi <= 75
    assert {r["metric"] for r in recs if r["source"] == "measured"} == {"accuracy", "pass@1", "pass@4"}
    paper = [r for r in recs if r["source"] == "paper"]
    assert {"source": "paper", "variant": "RL-Multi", "benchmark": "AIME'24", "value": "73.8500"}.items() <= \
        next(r for r in paper if r["variant"] == "RL-Multi" and r["benchmark"] == "AIME'24").items()
    assert any(r["variant"] == "Merge: SCE" and r["benchmark"] == "GPQA-Diamond" for r in paper)
    assert any(r["metric"] == "gpu_hours" and r["variant"] == "RL-Multi" and r["value"] == "2166.4000" for r in paper)
    assert len(paper) == 9 * 8 + 7 * 9 + 6  # every reference figure, no "Avg." column
    assert info["compute_hours"] == {"rl-math": 1.0, "rl-if": 2.0}
    for f in ("leaderboard.html", "accuracy_by_benchmark.png", "accuracy_by_benchmark.svg",
              "accuracy_vs_compute.png", "accuracy_vs_compute.svg"):
        assert (out / f).stat().st_size > 1000, f


def test_reference_data_is_the_shared_copy():
    shared = shared_file("reference")
    for name in ("main_results.csv", "merge_methods.csv", "gpu_hours.csv"):
        assert (REFERENCE_DIR / name).read_text() == (shared / name).read_text()
    # the paper's 33.2% claim from the stored table
    c = paper_compute()
    assert c["RL-Multi"] / c["Model Merging"] == pytest.approx(0.332, abs=5e-4)


def test_html_is_self_contained_with_marks(results_dir, tmp_path):
    build([results_dir], tmp_path / "lb")
    html = (tmp_path / "lb" / "leaderboard.html").read_text()
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//|<link|@import|url\((?!#)", html)  # nothing fetched
    assert "<script src" not in html and html.count("<script>") == 1
    assert "Reported in the paper (not measured here)" in html and "<svg" in html
    # micro-math row: rl-math best (37.5), rl-if second (25)
    assert '<td data-v="37.500000" class="best" title="95% CI' in html
    assert '<td data-v="25.000000" class="second"' in html
    assert 'class="avg"' in html


def test_cli_and_errors(results_dir, tmp_path, capsys):
    assert main(["leaderboard", "--results", str(results_dir), "--out", str(tmp_path / "o")]) == 0
    assert "3 variants x 2 benchmarks" in capsys.readouterr().out
    assert main(["leaderboard", "--results", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert "not a directory" in capsys.readouterr().err
    with pytest.raises(UserError, match="no <model>/<suite>/results.json"):
        build([tmp_path / "o"], tmp_path / "o2")


def test_if_metrics_and_incomplete_results(results_dir, tmp_path):
    import json

    p = results_dir / "rl-if" / "micro-if" / "results.json"
    r = json.loads(p.read_text())
    r["metrics"].update(prompt_strict=80.0, inst_strict=85.5)
    p.write_text(json.dumps(r))
    partial = results_dir / "opd-multi" / "micro-if"
    partial.mkdir(parents=True)
    (partial / "results.json").write_text(json.dumps({**r, "model": "opd-multi", "complete": False}))
    build([results_dir], tmp_path / "lb")
    recs = [dict(zip(CSV_HEADER, row, strict=True)) for row in read_csv(tmp_path / "lb" / "leaderboard.csv")[1:]]
    assert {(x["metric"], x["value"]) for x in recs if x["variant"] == "rl-if" and x["benchmark"] == "micro-if"} >= {
        ("prompt_strict", "80.0000"), ("inst_strict", "85.5000")}
    assert not any(x["variant"] == "opd-multi" for x in recs)  # an interrupted evaluation is not a result
