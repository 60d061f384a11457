"""Every suite's hub path under HF_HUB_OFFLINE=1 (the suite's setting): one line naming the suite and --data."""

from __future__ import annotations

import os

import pytest

from domains.registry import all_suites
from harness.cli import main
from harness.errors import UserError

HUB_SUITES = sorted(n for n in all_suites() if not n.startswith("micro-"))


def test_the_suite_runs_offline():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # tests/conftest.py: no test reaches the network by accident


@pytest.mark.parametrize("name", HUB_SUITES)
def test_hub_loader_offline_error_is_one_line(name):
    with pytest.raises(UserError) as e:
        all_suites()[name].load(None)
    msg = str(e.value)
    assert "\n" not in msg and "Traceback" not in msg
    assert name in msg and "--data" in msg, msg  # which suite, and the way out
    if "from the hub" in msg or "cannot list" in msg:  # a hub suite (math and mcq have no hub copy, say so)
        assert "Offline" in msg or "ConnectionError" in msg, msg  # why it failed


def test_hub_error_through_the_cli(tmp_path, capsys):
    resp = tmp_path / "r.jsonl"
    resp.write_text('{"id": 1, "response": "x"}\n')
    assert main(["score", "--suite", "gpqa-diamond", "--responses", str(resp)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Idavidrein/gpqa" in err and "--data FILE" in err, err


def test_nemotron_hub_offline_error():
    from domains.rl_data import NEMOTRON_HUB_ID, rl_data

    with pytest.raises(UserError, match=f"cannot load {NEMOTRON_HUB_ID} from the hub .*nemotron:PATH"):
        rl_data("math", "nemotron")
