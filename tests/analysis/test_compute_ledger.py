"""One ledger reader behind the compute analysis, the report and the leaderboard plot; counted ratios beside the
timed ones; the recipe estimate the plan prints."""

from __future__ import annotations

import json

import pytest

from harness.analysis.compute import analyze_compute, format_compute
from harness.errors import UserError
from harness.ledger import flops, read_run
from harness.ledger_estimate import estimate, format_estimate
from harness.pipeline.report import finding_compute
from harness.recipe import load_recipe
from leaderboard.collect import ledger_from_run

N = 1000
# stage -> (device-seconds, generated tokens, prompt tokens, trained tokens)
STAGES = {"rl-math": (40.0, 100, 50, 150), "rl-code": (60.0, 300, 50, 350), "rl-science": (40.0, 100, 50, 150),
          "rl-if": (60.0, 300, 50, 350), "rl-multi": (100.0, 200, 100, 300), "sft": (10.0, 0, 0, 500)}


def _ledger(gen, prompt, trained):
    return {"params": N, "generated_tokens": gen, "prompt_tokens": prompt, "forwarded_tokens": 0,
            "trained_tokens": trained, "sandbox_programs": 0, "batches": 1,
            "flops": flops(N, gen + prompt, trained), "params_counted": "all"}


@pytest.fixture
def run(tmp_path):
    root = tmp_path / "runs" / "r"
    for stage, (dev, gen, prompt, trained) in STAGES.items():
        (root / stage).mkdir(parents=True)
        (root / stage / "manifest.json").write_text(json.dumps(
            {"stage": stage, "status": "done", "device": "cpu x2", "wall_seconds": dev / 2, "device_seconds": dev,
             "compute_ledger": _ledger(gen, prompt, trained)}))
    (root / "merge-ties").mkdir()
    (root / "merge-ties" / "manifest.json").write_text(json.dumps({"stage": "merge-ties", "device_seconds": 1.0}))
    (root / "leaderboard").mkdir()  # the leaderboard stage's manifest has its own "ledger" (stage -> device-seconds)
    (root / "leaderboard" / "manifest.json").write_text(json.dumps(
        {"stage": "leaderboard", "device_seconds": 1.0, "ledger": {"rl-math": 40.0}}))
    return root


def _expected_flops_ratio():
    f = {s: flops(N, g + p, t) for s, (_, g, p, t) in STAGES.items()}
    return f["rl-multi"] / sum(f[f"rl-{d}"] for d in ("math", "code", "science", "if"))


def test_counted_and_timed_ratios_side_by_side(run, tmp_path):
    res = analyze_compute(run, tmp_path / "out")
    assert res["multi_over_singles"] == pytest.approx(100 / 200)
    assert res["counted"]["flops"]["multi_over_singles"] == pytest.approx(_expected_flops_ratio())
    assert res["counted"]["generated_tokens"]["multi_over_singles"] == pytest.approx(200 / 800)
    text = format_compute(res)
    assert "50.0% of the device-seconds" in text and f"by FLOPs (counted: independent of load and speed): " \
        f"{100 * _expected_flops_ratio():.1f}%" in text and "by generated tokens" in text and "25.0%" in text
    csv_lines = (tmp_path / "out" / "compute.csv").read_text().splitlines()
    assert csv_lines[0].endswith("params,generated_tokens,prompt_tokens,forwarded_tokens,trained_tokens,sandbox_programs,flops") and any(x.startswith("merge-ties,") for x in csv_lines)


def test_one_reader_for_analysis_and_leaderboard(run, tmp_path):
    rows = {r["stage"]: r for r in read_run(run)}
    assert ledger_from_run(run) == {s: r["device_seconds"] for s, r in rows.items()}
    assert ledger_from_run(run, "flops") == {s: r["ledger"]["flops"] for s, r in rows.items() if r["ledger"]}


def test_report_names_which_measure_the_paper_reports(run, tmp_path):
    out = tmp_path / "analysis"
    analyze_compute(run, out / "compute")
    lines, data = finding_compute(out)
    text = "\n".join(lines)
    assert data["flops_multi_over_singles"] == pytest.approx(_expected_flops_ratio())
    assert "| device-seconds (measured) | **50.0%**" in text and "| FLOPs (counted) |" in text
    assert "The paper's GPU hours correspond to the device-seconds row" in text


def test_bad_ledger_is_one_error_naming_the_file(run):
    mf = run / "rl-code" / "manifest.json"
    m = json.loads(mf.read_text())
    m["compute_ledger"]["flops"] = "many"
    mf.write_text(json.dumps(m))
    with pytest.raises(UserError, match=r"rl-code/manifest.json: compute_ledger: expected integers"):
        read_run(run)
    mf.write_text("{")
    with pytest.raises(UserError, match="rl-code/manifest.json: invalid JSON"):
        read_run(run)


def test_recipe_estimate_of_the_paper():
    est = estimate(load_recipe("paper"))
    assert est["params"] == pytest.approx(4.02e9, rel=0.01)  # Qwen3-4B-Base: 4.0 B parameters
    math = est["stages"]["rl-math"]
    assert math["samples"] == 200 * 128 * 16
    assert math["generated_tokens"] == 200 * 128 * 16 * 0.5 * 32768
    assert est["multi_over_singles"]["flops"] == pytest.approx(0.5)  # 400 mixed steps vs 4 x 200, equal lengths
    text = format_estimate(load_recipe("paper"))
    assert "50.0% of the FLOPs" in text and "33.2%" in text


def test_micro_estimate_counts_the_micro_model(tmp_path):
    from harness.model.build import make_qwen3, train_tokenizer

    r = load_recipe("micro")
    tok = train_tokenizer(["abc 123"] * 4, vocab_size=r.base.micro.vocab_size)
    arch = r.base.micro.model_dump()
    model = make_qwen3(tok, seed=0, **arch)
    per_vocab = r.base.micro.hidden_size  # tied embedding: one row per token
    n_model = sum(p.numel() for p in model.parameters())
    assert estimate(r)["params"] == n_model + (r.base.micro.vocab_size - len(tok)) * per_vocab
