"""Each isolation claim of harness/sandbox/__init__.py, on each backend."""

from __future__ import annotations

import signal

import pytest

from harness.sandbox import Limits


def run_ok(sb, prog: str) -> str:
    r = sb.run(prog)
    assert r.status == "ok", (r.status, r.stderr[-300:])
    return r.stdout


def test_unprivileged_no_caps_no_new_privs(sandbox):
    out = run_ok(
        sandbox, "import os\nprint(os.getuid(), os.getgid())\nprint(open('/proc/self/status').read())"
    )
    assert out.splitlines()[0] == "65534 65534"
    status = dict(line.split(":\t", 1) for line in out.splitlines()[1:] if ":\t" in line)
    for cap in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
        assert int(status[cap], 16) == 0, cap
    assert status["NoNewPrivs"].strip() == "1"


def test_no_network_interface_but_loopback(sandbox):
    out = run_ok(sandbox, "print(open('/proc/net/dev').read())")
    ifaces = {line.split(":")[0].strip() for line in out.splitlines()[2:] if ":" in line}
    assert ifaces <= {"lo"}


def test_root_read_only_and_tmp_is_the_only_writable_place(sandbox):
    prog = (
        "import os\nbad = []\n"
        "for d in ('/', '/usr', '/etc', '/bin', '/var', '/proc', '/dev', '/home', '/root'):\n"
        "    try:\n        open(os.path.join(d, 'x'), 'w').write('x')\n        bad.append(d)\n"
        "    except OSError:\n        pass\n"
        "open('/tmp/ok', 'w').write('x')\nopen('here', 'w').write('x')\nprint(bad, os.getcwd())\n"
    )
    bad, cwd = run_ok(sandbox, prog).split("] ")
    assert bad == "[" and cwd.strip() == "/tmp/job/work"


def test_worker_is_pid1_unkillable_and_unreadable(sandbox):
    prog = (
        "import os, signal\nfor s in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP):\n"
        "    try:\n        os.kill(1, s)\n    except OSError as e:\n        print('kill', e.errno)\n"
        "for p in ('/proc/1/mem', '/proc/1/environ'):\n"
        "    try:\n        open(p, 'rb').read(1)\n        print('READ', p)\n    except OSError:\n        pass\n"
        "try:\n    os.listdir('/proc/1/fd')\n    print('READ fd')\nexcept OSError:\n    pass\n"
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint('ptrace', libc.ptrace(16, 1, 0, 0))\n"
    )
    out = run_ok(sandbox, prog)
    assert "READ" not in out and "ptrace -1" in out
    assert run_ok(sandbox, "print('still here')") == "still here\n"


def test_no_nested_user_namespace(sandbox):
    prog = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.unshare(0x10000000), ctypes.get_errno())\n"
    rc, _ = run_ok(sandbox, prog).split()
    assert rc == "-1"


def test_host_files_not_visible(sandbox, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret")
    out = run_ok(
        sandbox,
        f"import os\nprint(os.path.exists({str(secret)!r}), os.path.exists('/work'), os.path.exists('/root/.cache'))",
    )
    assert out.split() == ["False", "False", "False"]


@pytest.mark.parametrize(
    ("prog", "limits", "status"),
    [
        (
            "while True:\n    pass\n",  # a wall limit far beyond 1 s of CPU: SIGXCPU however loaded the machine
            Limits(timeout_s=60, cpu_s=1, memory_mb=256, pids=32, tmpfs_mb=16),
            "timeout",
        ),
        (
            "import time\ntime.sleep(30)\n",
            Limits(timeout_s=1, cpu_s=5, memory_mb=256, pids=32, tmpfs_mb=16),
            "timeout",
        ),
        (
            "x = bytearray(400 << 20)\n",
            Limits(timeout_s=5, cpu_s=5, memory_mb=256, pids=32, tmpfs_mb=16),
            "memory",
        ),
        (
            "print('y' * 5000)\n",
            Limits(timeout_s=5, cpu_s=5, memory_mb=256, pids=32, output_bytes=1000, tmpfs_mb=16),
            "output_limit",
        ),
    ],
    ids=["cpu", "wall", "memory", "output"],
)
def test_limits(sandbox, prog, limits, status):
    r = sandbox.run(prog, limits=limits)
    assert r.status == status, (r.status, r.stderr[-200:])
    if status == "output_limit":
        assert r.truncated and r.stdout == "y" * 1000
    if status == "timeout" and limits.cpu_s == 1:
        assert r.exit_code == -signal.SIGXCPU  # stopped by RLIMIT_CPU, not by the 60 s wall clock


def test_pids_capped(sandbox):
    prog = (
        "import os, time\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            time.sleep(5)\n"
        "            os._exit(0)\n        n += 1\nexcept OSError:\n    print(n)\n"
    )
    r = sandbox.run(prog, limits=Limits(timeout_s=5, cpu_s=5, memory_mb=256, pids=10, tmpfs_mb=16))
    assert r.status == "ok" and int(r.stdout) < 10
