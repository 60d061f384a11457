import json
import logging

import pytest
from eval_helpers import OracleServer

from domains.registry import get_suite
from harness.cli import main
from harness.pipeline.context import StageContext
from harness.recipe import EvalStage, Recipe
from leaderboard.stages import leaderboard_stage

MATH = get_suite("micro-math").load(None)[:5]
ANSWERS = {ex["messages"][-1]["content"]: str(ex["label"]) for ex in MATH}


def oracle(right):
    return OracleServer(ANSWERS, {ex["messages"][-1]["content"]: r for ex, r in zip(MATH, right, strict=True)})


def test_eval_cli_and_paired_compare(tmp_path, capsys):
    out = tmp_path / "res"
    for name, right in (("strong", [2, 2, 2, 1, 0]), ("weak", [0, 1, 0, 1, 0])):
        s = oracle(right)
        rc = main(["eval", "--model", s.url, "--suites", "micro-math", "--k", "2", "--limit", "5", "--out", str(out),
                   "--model-name", name])
        s.close()
        assert rc == 0
    assert "micro-math" in capsys.readouterr().out
    assert main(["compare", "strong", "weak", "--suite", "micro-math", "--results", str(out), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["diff"] == pytest.approx((7 - 2) / 10) and r["n"] == 5  # per-problem means: (1,1,1,.5,0)-(0,.5,0,.5,0)
    assert r["ci_low"] <= r["diff"] <= r["ci_high"]
    assert main(["compare", "strong", "nobody", "--suite", "micro-math", "--results", str(out)]) == 2
    assert "evaluate it first" in capsys.readouterr().err


def test_eval_cli_user_errors(tiny_model, tmp_path, capsys):
    assert main(["eval", "--model", str(tmp_path / "missing"), "--suites", "micro-math"]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["eval", "--model", str(tiny_model), "--suites", "micro-mth", "--out", str(tmp_path)]) == 2
    assert "did you mean 'micro-math'" in capsys.readouterr().err
    assert main(["eval", "--model", str(tiny_model), "--data", "ifeval", "--out", str(tmp_path)]) == 2
    assert "SUITE=FILE" in capsys.readouterr().err


def test_eval_stage_feeds_leaderboard_stage(tiny_model, tmp_path):
    run_root = tmp_path / "runs" / "t"
    (run_root / "sft").mkdir(parents=True)
    (run_root / "sft" / "model").symlink_to(tiny_model, target_is_directory=True)
    (run_root / "rl-math").mkdir()
    (run_root / "rl-math" / "manifest.json").write_text(json.dumps({"device_seconds": 7200.0}))
    recipe = Recipe(name="t", eval=EvalStage(suites=["micro-math", "micro-science"], k=2, limit=3, max_new_tokens=8,
                                             public_suites_if_present=False))
    log = logging.getLogger("test")
    ctx = StageContext(recipe, "eval-sft", "eval", "sft", tmp_path / "tmp-eval", {"sft": run_root / "sft"}, run_root,
                       0, log)
    ctx.out.mkdir()
    info = eval_stage_run(ctx)
    assert set(info["metrics"]) == {"micro-math", "micro-science"}
    assert json.loads((ctx.out / "sft" / "micro-science" / "results.json").read_text())["model"] == "sft"
    lb = StageContext(recipe, "leaderboard", "leaderboard", None, tmp_path / "tmp-lb", {"eval-sft": ctx.out}, run_root,
                      0, log)
    lb.out.mkdir()
    out = leaderboard_stage(lb)
    assert out["ledger"] == {"rl-math": 7200.0}
    rows = (lb.out / "leaderboard.csv").read_text().splitlines()
    assert sum(r.startswith("sft,micro-") for r in rows) >= 2 and (lb.out / "leaderboard.html").exists()


def eval_stage_run(ctx):
    from harness.eval.stages import eval_stage

    return eval_stage(ctx)
