"""`mixmerge sandbox check` prints a readable report and its exit code says whether isolation holds."""

from __future__ import annotations

import socket

import pytest

from harness.cli import main

from .conftest import BACKENDS, require


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_sandbox_check(backend_name, capsys):
    require(backend_name)
    rc = main(["sandbox", "check", "--sandbox", backend_name])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"backend    : {backend_name}" in out and "result     : OK (10/10 checks hold)" in out
    assert "FAIL" not in out


def test_unknown_backend_is_one_line_error(capsys):
    assert main(["sandbox", "check", "--sandbox", "dokcer"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'docker'?" in err and "Traceback" not in err


def _report(out: str) -> dict[str, bool]:
    """check name -> whether it held, from the report's PASS/FAIL lines."""
    rows = [ln.strip().split("  ", 1) for ln in out.splitlines() if ln.startswith("  PASS") or ln.startswith("  FAIL")]
    return {name.split("  (")[0]: verdict == "PASS" for verdict, name in rows}


def test_each_check_fails_on_a_broken_configuration(monkeypatch, capsys):
    """A check that cannot fail proves nothing: break the bwrap sandbox on purpose and watch the report."""
    require("bwrap")
    from harness.sandbox import bwrap
    from harness.sandbox import cli as sandbox_cli
    from harness.sandbox.types import Limits

    original = bwrap.bwrap_command

    def leaky(limits, python=None):
        cmd = original(limits, python)
        cmd.insert(cmd.index("--unshare-all") + 1, "--share-net")  # the host's network ...
        at = cmd.index("--proc")
        cmd[at:at] = ["--ro-bind", "/etc", "/etc"]  # ... and its resolver configuration
        return cmd

    monkeypatch.setattr(bwrap, "bwrap_command", leaky)
    # ... and a worker that never empties /tmp between programs
    assert "    left = wipe()\n" in bwrap.WORKER_SOURCE and "    left += wipe()\n" in bwrap.WORKER_SOURCE
    no_wipe = bwrap.WORKER_SOURCE.replace("    left = wipe()\n", "    left = []\n").replace("    left += wipe()\n", "")
    no_wipe = no_wipe.replace('os.makedirs(f"{job}/work", mode=0o700)', 'os.makedirs(f"{job}/work", exist_ok=True)')
    monkeypatch.setattr(bwrap, "WORKER_SOURCE", no_wipe)
    q = sandbox_cli.QUICK_LIMITS
    # the check still expects QUICK_LIMITS; the sandbox gets 100x the processes and 4x the wall clock
    weak = Limits(timeout_s=4 * q.timeout_s, cpu_s=q.cpu_s, memory_mb=q.memory_mb, pids=100 * q.pids,
                  output_bytes=q.output_bytes, tmpfs_mb=q.tmpfs_mb)
    assert sandbox_cli.check("bwrap", "unused", 1, limits=weak) == 1
    held = _report(capsys.readouterr().out)
    assert len(held) == 10
    broken = {"no network (connect to the host's 127.0.0.1 or 1.1.1.1:53)", "fork bomb contained (< 32 processes)",
              "wall-clock limit (2 s)", "no file from a previous program"}
    try:
        socket.getaddrinfo("pypi.org", 443)
        broken.add("no DNS")  # the host resolves names: so does the leaky sandbox
    except OSError:
        pass
    assert {k for k, v in held.items() if not v} == broken, held

    monkeypatch.undo()  # a sound sandbox, but a /tmp too small to hold the leak writer's file
    tiny = Limits(timeout_s=q.timeout_s, cpu_s=q.cpu_s, memory_mb=q.memory_mb, pids=q.pids,
                  output_bytes=q.output_bytes, tmpfs_mb=1)
    assert sandbox_cli.check("bwrap", "unused", 1, limits=tiny) == 1
    held = _report(capsys.readouterr().out)
    assert {k for k, v in held.items() if not v} == {"file left for a later program (1 MiB in /tmp)"}, held
