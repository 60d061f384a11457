from __future__ import annotations

import subprocess
import sys

from harness import cli

COMMANDS = ["reproduce", "train", "merge", "eval", "score", "leaderboard", "analyze", "sandbox", "status"]


def mm(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True)


def test_help_lists_every_command():
    out = mm("--help").stdout
    for c in COMMANDS:
        assert c in out


def test_every_command_has_help():
    for c in COMMANDS:
        r = mm(c, "--help")
        assert r.returncode == 0, (c, r.stderr)
        assert "usage:" in r.stdout


def test_unbuilt_command_exits_nonzero_with_one_line(monkeypatch, capsys):
    monkeypatch.setitem(cli.COMMANDS, "frobnicate", ("harness.no_such_module", "x"))
    assert cli.main(["frobnicate"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not built yet" in err


def test_dry_run_prints_plan():
    r = mm("reproduce", "--recipe", "micro", "--dry-run", "--runs", "/nonexistent-runs")
    assert r.returncode == 0, r.stderr
    assert "rl-multi" in r.stdout and "merge-ties-dare" in r.stdout and "opd-multi" in r.stdout


def test_unknown_stage_suggests(tmp_path):
    r = mm("reproduce", "--recipe", "micro", "--until", "rl-mth", "--runs", str(tmp_path))
    assert r.returncode == 2 and "did you mean 'rl-math'" in r.stderr
