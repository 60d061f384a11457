"""``mixmerge train``: argument checks, dry runs, clear one-line errors."""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.train.cli import inputs_for, stage_name


def test_stage_names():
    assert stage_name("sft", None) == "sft" and stage_name("opd", None) == "opd-multi"
    assert stage_name("grpo", "math") == "rl-math" and stage_name("grpo", "rl-multi") == "rl-multi"


def test_unknown_stage_suggests(capsys):
    assert main(["train", "grpo", "--stage", "maht", "--recipe", "micro"]) == 2
    err = capsys.readouterr().err
    assert "unknown GRPO stage 'maht'; did you mean 'math'?" in err and "\n" == err[-1] and err.count("\n") == 1


def test_grpo_needs_a_stage(capsys):
    assert main(["train", "grpo"]) == 2
    assert "--stage is required" in capsys.readouterr().err


def test_dry_run_describes_without_training(tmp_path, capsys):
    assert main(["train", "grpo", "--stage", "multi", "--dry-run", "--runs", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "rl-multi" in out and '"math": 0.25' in out and "(missing)" in out
    assert not (tmp_path / "micro" / "cli").exists()


def test_missing_input_model_is_one_line(tmp_path, capsys):
    assert main(["train", "sft", "--runs", str(tmp_path)]) == 2
    assert "input model for base not found" in capsys.readouterr().err


def test_teacher_flags(tmp_path):
    ins = inputs_for("opd-multi", tmp_path, tmp_path / "s", [f"math={tmp_path / 't'}"])
    assert ins["rl-math"] == tmp_path / "t" and ins["rl-code"] == tmp_path / "rl-code" / "model"
    from harness.errors import UserError

    with pytest.raises(UserError, match="DOMAIN=PATH"):
        inputs_for("opd-multi", tmp_path, None, ["chem=/x"])
