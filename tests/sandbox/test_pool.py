"""The warm pool: order of results, fresh state per program, replacement of tainted/dead/hung workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from harness.errors import UserError
from harness.recipe import SandboxSection
from harness.sandbox import Job, Limits, get_sandbox, resolve_backend

from .conftest import BACKENDS, IMAGE, TEST_LIMITS, require
from .test_hostile import leftover, worker_idents


def test_run_many_in_order(sandbox):
    jobs = [
        Job(f"import time\ntime.sleep({(7 * i) % 5} / 100)\nprint(input() * 2)", stdin=str(i))
        for i in range(24)
    ]
    assert [r.stdout.strip() for r in sandbox.run_many(jobs)] == [str(i) * 2 for i in range(24)]


def test_no_state_between_programs(sandbox):
    prog = "import os, sys\nprint(sorted(os.listdir('.')), sorted(os.listdir('/tmp')), 'flag' in dir(sys))\nsys.flag = 1\n"
    outs = {r.stdout for r in sandbox.run_many([Job(prog)] * 6)}
    assert outs == {"[] ['job'] False\n"}


def test_unknown_backend_and_recipe_limits():
    with pytest.raises(UserError, match="did you mean 'bwrap'"):
        resolve_backend("bwarp")
    lim = Limits.from_section(SandboxSection(timeout_s=3, memory_mb=512))
    assert (lim.timeout_s, lim.memory_mb, lim.pids) == (3, 512, 64)


def _worker_processes(backend: str, w) -> list[psutil.Process]:
    return [psutil.Process(pid) for pid in w.host_pids()[1:]] if backend == "bwrap" else []


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_tainted_dead_and_hung_workers_are_replaced(backend_name):
    require(backend_name)
    with get_sandbox(backend_name, limits=TEST_LIMITS, workers=1, image=IMAGE) as sb:
        sb.grace_s = 1.0
        # tainted: a SysV segment survives the program
        r = sb.run("import ctypes\nctypes.CDLL(None).shmget(0x4D4E, 4096, 0o1666)\nprint('ok')")
        assert r.status == "ok" and "tainted" in r.detail and sb.replaced == 1
        # dead: killed from outside between programs
        w = next(iter(sb._all))
        if backend_name == "bwrap":
            w.proc.kill()
            w.proc.wait()
        else:
            w.container.kill()
            w.container.wait(timeout=10)
        assert sb.run("print(6 * 7)").stdout == "42\n"
        assert sb.replaced == 2
        # hung: frozen while running a program
        w = next(iter(sb._all))
        frozen = worker_idents(backend_name, type("One", (), {"spawned": [w]}))
        if backend_name == "bwrap":
            for p in _worker_processes(backend_name, w):
                os.kill(p.pid, signal.SIGSTOP)
        else:
            w.container.pause()
        r = sb.run("print(1)", limits=Limits(timeout_s=1, cpu_s=1, memory_mb=256, pids=32, tmpfs_mb=16))
        assert r.status == "sandbox_error" and "hung" in r.detail
        assert sb.replaced == 3
        assert sb.run("print(2)").stdout == "2\n"
        assert leftover(backend_name, frozen) == []  # the frozen sandbox is gone, not left stopped


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_workers_go_away_when_the_harness_dies(backend_name):
    require(backend_name)
    code = (
        "import os, sys\nfrom harness.sandbox import get_sandbox\n"
        f"sb = get_sandbox({backend_name!r}, workers=2, image={IMAGE!r})\n"
        "from tests.sandbox.test_hostile import worker_idents\n"
        f"print(' '.join(worker_idents({backend_name!r}, sb)), flush=True)\nos.kill(os.getpid(), 9)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    idents = out.stdout.split()
    assert len(idents) >= 2, out.stderr[-500:]
    deadline = time.monotonic() + 20
    while leftover(backend_name, idents) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftover(backend_name, idents) == []


@pytest.mark.engine
def test_docker_attach_transport(monkeypatch):
    """The fallback for engines in a VM or on another machine: the engine's attach stream."""
    require("docker")
    monkeypatch.setenv("MIXMERGE_SANDBOX_TRANSPORT", "attach")
    with get_sandbox("docker", limits=TEST_LIMITS, workers=1, image=IMAGE) as sb:
        w = next(iter(sb._all))
        assert w.fd_in is None and w.sock is not None
        jobs = [Job("print(input() * 3)", stdin=str(i)) for i in range(5)]
        assert [r.stdout for r in sb.run_many(jobs)] == [f"{i}{i}{i}\n" for i in range(5)]
        assert (
            sb.run("while True:\n    pass\n", limits=Limits(timeout_s=1, cpu_s=5, tmpfs_mb=16)).status
            == "timeout"
        )
    monkeypatch.setenv("MIXMERGE_SANDBOX_TRANSPORT", "fifos")
    with pytest.raises(UserError, match="did you mean 'fifo'"):
        get_sandbox("docker", limits=TEST_LIMITS, workers=1, image=IMAGE)
