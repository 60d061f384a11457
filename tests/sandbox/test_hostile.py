"""The hostile battery (issue 11) on each backend.

Every hostile sample is a HumanEval-style answer to ``add`` that is written to PASS if its attack
works (it defines a correct ``add`` only when it reached the network, read the host's secret, saw a
previous program's file or process, ...), or is a resource attack. Each must come back failed, and
the correct sample submitted right after it must pass. After the battery: the host file is
untouched, the loopback listener accepted nothing, no worker container or process is left.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import psutil
import pytest

from harness.sandbox import Limits, get_sandbox
from harness.sandbox.checks import HumanEvalCheck, check_many

from .conftest import BACKENDS, IMAGE, require

TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
GOOD = "def add(a, b):\n    return a + b\n"
LIMITS = Limits(timeout_s=2, cpu_s=2, memory_mb=256, pids=32, output_bytes=1 << 20, tmpfs_mb=16)


def win_if(cond: str) -> str:
    """Code that defines the correct answer only when ``cond`` (the attack's success) holds."""
    return f"if {cond}:\n    def add(a, b):\n        return a + b\n"


class Listener:
    """A TCP listener on all host addresses that counts accepted connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                pass

    def close(self):
        self._stop.set()
        self._t.join()
        self.sock.close()


def host_ipv4() -> list[str]:
    ips = {"127.0.0.1", "172.17.0.1"}
    for addrs in psutil.net_if_addrs().values():
        ips |= {a.address for a in addrs if a.family == socket.AF_INET}
    return sorted(ips)


def battery(port: int, secret: Path, hostdir: Path) -> list[tuple[str, str]]:
    connect = (
        "import socket\nreached = False\n"
        f"for h in {host_ipv4()!r}:\n"
        "    try:\n"
        f"        socket.create_connection((h, {port}), timeout=1).sendall(b'pwned')\n"
        "        reached = True\n"
        "    except OSError:\n"
        "        pass\n"
    )
    dns = (
        "import socket\nresolved = False\nfor name in ('pypi.org', 'deb.debian.org', 'example.com'):\n"
        "    try:\n        socket.getaddrinfo(name, 443)\n        resolved = True\n    except OSError:\n        pass\n"
    )
    secret_read = f"try:\n    got = open({str(secret)!r}).read()\nexcept OSError:\n    got = ''\n"
    host_write = (
        f"try:\n    open({str(hostdir / 'pwned')!r}, 'w').write('x')\n    wrote = True\nexcept OSError:\n"
        "    wrote = False\n"
    )
    leave_files = (
        "import os\nfor p in ('/tmp/leak', 'leak', '/dev/shm/leak', os.path.expanduser('~/leak')):\n"
        "    try:\n        open(p, 'w').write('state')\n    except OSError:\n        pass\n"
    )
    see_files = (
        "import os\nseen = [p for p in ('/tmp/leak', 'leak', '/dev/shm/leak') if os.path.exists(p)]\n"
        "seen += [e for e in os.listdir('/tmp') if e != 'job']\n"
    )
    daemon = (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        time.sleep(0.3)\n        open('/tmp/daemon', 'w').write('alive')\n        time.sleep(60)\n"
        "    os._exit(0)\n"
    )
    see_daemon = (
        "import os, time\ntime.sleep(0.6)\nme = os.getpid()\n"
        "others = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, me)]\n"
        "alive = bool(others) or os.path.exists('/tmp/daemon')\n"
    )
    shm = "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.shmget(0x4D4D, 4096, 0o1666)\n"
    see_shm = "import ctypes\nlibc = ctypes.CDLL(None)\nfound = libc.shmget(0x4D4D, 0, 0o666) >= 0\n"
    return [
        ("network connect to the host", connect + win_if("reached")),
        ("DNS lookup", dns + win_if("resolved")),
        ("fork bomb", "import os\nwhile True:\n    os.fork()\n" + GOOD),
        ("memory bomb", "blocks = []\nwhile True:\n    blocks.append(bytearray(50 << 20))\n" + GOOD),
        ("infinite loop", "while True:\n    pass\n" + GOOD),
        (
            "ignores SIGTERM",
            "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "while True:\n    time.sleep(0.1)\n" + GOOD,
        ),
        (
            "200 MB of stdout",
            "import sys\nfor _ in range(200):\n    try:\n        sys.stdout.write('x' * (1 << 20))\n"
            "        sys.stdout.flush()\n    except OSError:\n        pass\n" + GOOD,
        ),
        (
            "filling /tmp",
            "i = 0\nwhile True:\n    open('/tmp/fill%d' % i, 'wb').write(b'x' * (1 << 19))\n"
            "    i += 1\n" + GOOD,
        ),
        ("reading a host secret", secret_read + win_if("got == 'top-secret'")),
        ("writing into a host dir", host_write + win_if("wrote")),
        ("segfault via ctypes", "import ctypes\nctypes.string_at(0)\n" + GOOD),
        ("os._exit(0) before the tests", GOOD + "import os\nos._exit(0)\n"),
        ("leaves files", leave_files),
        ("reads files a previous program left", see_files + win_if("seen")),
        ("detached background process", daemon),
        ("sees a previous program's process", see_daemon + win_if("alive")),
        ("leaves a SysV shared memory segment", shm),
        ("reads a previous program's SysV segment", see_shm + win_if("found")),
    ]


def leftover(backend: str, idents: list[str]) -> list[str]:
    if backend == "docker":
        from harness.sandbox.docker_backend import docker_client

        # a container removed between listing and inspecting is gone, not an error
        present = {c.id for c in docker_client().containers.list(all=True, ignore_removed=True)}
        return [i for i in idents if i in present]
    alive = []
    for pid in map(int, idents):
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(str(pid))
        except psutil.NoSuchProcess:
            pass
    return alive


def worker_idents(backend: str, sb) -> list[str]:
    """Container ids, or every host pid of every bwrap sandbox (monitor, worker, its processes)."""
    if backend == "docker":
        return [w.ident for w in sb.spawned]
    return [str(pid) for w in sb.spawned for pid in w.host_pids()]


@pytest.mark.slow
@pytest.mark.parametrize("backend_name", BACKENDS)
def test_hostile_battery(backend_name, tmp_path):
    require(backend_name)
    secret = tmp_path / "secret.txt"
    secret.write_text("top-secret")
    before = secret.stat()
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    listener = Listener()
    try:
        sb = get_sandbox(backend_name, limits=LIMITS, workers=1, image=IMAGE)
        with sb:
            # sanity: the attacks' own success paths really pass when the attack is simulated
            assert check_many(sb, [HumanEvalCheck(win_if("True"), TEST, "add")])[0].passed
            cases = battery(listener.port, secret, hostdir)
            checks = []
            for _, prog in cases:
                checks += [HumanEvalCheck(prog, TEST, "add"), HumanEvalCheck(GOOD, TEST, "add")]
            results = check_many(sb, checks)
            idents = worker_idents(backend_name, sb)
        verdicts = {name: (results[2 * i], results[2 * i + 1]) for i, (name, _) in enumerate(cases)}
        hostile_passed = [name for name, (h, _) in verdicts.items() if h.passed]
        next_failed = [f"{name}: {g.detail}" for name, (_, g) in verdicts.items() if not g.passed]
        assert not hostile_passed, f"hostile samples that passed: {hostile_passed}"
        assert not next_failed, f"correct samples scored wrong after: {next_failed}"
        assert verdicts["infinite loop"][0].status == "timeout"
        assert verdicts["ignores SIGTERM"][0].status == "timeout"
        assert verdicts["200 MB of stdout"][0].status == "output_limit"
        assert verdicts["segfault via ctypes"][0].status == "error"
        # the resource attacks end by their cap, not by the clock (test_caps measures the caps themselves)
        assert verdicts["memory bomb"][0].detail.split(" (line")[0] == "MemoryError"  # the address-space cap
        assert "Errno 11" in verdicts["fork bomb"][0].detail  # fork() refused: the pids cap
        assert verdicts["filling /tmp"][0].status == "error"  # ENOSPC killed it before its result line
        assert sb.replaced >= 1  # the SysV segment tainted the worker, which was replaced
    finally:
        listener.close()
    assert secret.read_text() == "top-secret" and secret.stat().st_mtime_ns == before.st_mtime_ns
    assert list(hostdir.iterdir()) == []
    assert listener.accepted == 0
    assert leftover(backend_name, idents) == []
