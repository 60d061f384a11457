"""bubblewrap backend: each worker is one ``bwrap`` process with new user, PID, network, IPC, UTS and
cgroup namespaces, ``/usr`` bound read-only, a size-capped private tmpfs on /tmp, no capabilities, no
nested user namespaces, uid 65534 inside; rlimits per program. For machines without a Docker engine.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from harness.errors import UserError
from harness.sandbox.pool import WORKER_SOURCE, Pool, Worker, WorkerDied, wait_readable
from harness.sandbox.types import Limits

UID = 65534


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def sandbox_python() -> str:
    """A system interpreter under /usr (visible inside the sandbox); the venv's own is not."""
    for cand in (os.path.realpath(sys.executable), "/usr/bin/python3", "/usr/local/bin/python3"):
        if cand.startswith("/usr/") and os.access(cand, os.X_OK):
            return cand
    raise UserError("bwrap sandbox: no python3 under /usr; install python3 (apt-get install python3)")


def _root_links() -> list[str]:
    """/bin, /lib, /lib64, /sbin as on the host: symlinks into /usr (merged /usr) or read-only binds."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    return args


def bwrap_command(limits: Limits, python: str | None = None) -> list[str]:
    bw = bwrap_path()
    if not bw:
        raise UserError("bwrap sandbox: bubblewrap is not installed (apt-get install bubblewrap)")
    cmd: list[str] = []
    if os.geteuid() == 0 and shutil.which("setpriv"):
        # as root, drop to nobody first so the sandbox's uid maps to an unprivileged host uid
        cmd += ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups", "--"]
    cmd += [
        bw, "--unshare-all", "--unshare-user", "--disable-userns", "--new-session",
        "--as-pid-1", "--cap-drop", "ALL", "--uid", str(UID), "--gid", str(UID), "--hostname", "sandbox",
        "--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
        "--ro-bind", "/usr", "/usr", *_root_links(),
        "--proc", "/proc", "--dev", "/dev",
        "--size", str(limits.tmpfs_mb << 20), "--perms", "1777", "--tmpfs", "/tmp",
        "--size", str(1 << 20), "--perms", "1777", "--tmpfs", "/dev/shm",
        "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp",
        python or sandbox_python(), "-I", "-c", WORKER_SOURCE,
    ]  # fmt: skip
    return cmd


class BwrapWorker(Worker):
    proc: subprocess.Popen | None = None
    _stderr_tail = ""  # bwrap's error output, kept by diagnostics() before kill() closes the pipe

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(
            bwrap_command(self.limits),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
            start_new_session=True,
        )

    def _write(self, data: bytes) -> None:
        assert self.proc and self.proc.stdin
        if self.proc.poll() is not None:
            raise BrokenPipeError(f"worker exited with {self.proc.returncode}")
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _read_some(self, deadline: float) -> bytes:
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        wait_readable(fd, deadline)
        return os.read(fd, 1 << 20)

    @property
    def ident(self) -> str:
        return str(self.proc.pid) if self.proc else ""

    def diagnostics(self) -> str:
        """bwrap's own error output once it has exited (kept by ``kill``, which closes the pipes)."""
        if self.proc and self.proc.poll() is not None and self.proc.stderr and not self.proc.stderr.closed:
            try:
                if select.select([self.proc.stderr], [], [], 0.5)[0]:  # never block on a pipe a stray child holds
                    self._stderr_tail = os.read(self.proc.stderr.fileno(), 2000).decode(errors="replace").strip()
            except (OSError, ValueError):
                pass
        return self._stderr_tail

    def host_pids(self) -> list[int]:
        """bwrap's monitor, the worker (PID 1 inside) and everything below it, as seen from the host."""
        if not self.proc:
            return []
        try:
            return [self.proc.pid, *(p.pid for p in psutil.Process(self.proc.pid).children(recursive=True))]
        except psutil.Error:
            return [self.proc.pid]

    def kill(self) -> None:
        if not self.proc:
            return
        if self.proc.poll() is None:
            # SIGKILL to the worker (PID 1 of the sandbox's namespace) takes every process in it along
            for pid in reversed(self.host_pids()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self.diagnostics()  # keep bwrap's error message before its pipe is closed
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


class BwrapSandbox(Pool):
    backend = "bwrap"

    def __init__(self, limits: Limits, workers: int):
        super().__init__(BwrapWorker, limits, workers)


def bwrap_usable() -> str | None:
    """None when bwrap can start a sandbox here, else why not (one line)."""
    if not bwrap_path():
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    w = BwrapWorker(Limits())
    try:
        w.start()
        return None
    except (WorkerDied, UserError, OSError) as e:
        return f"bwrap cannot create a sandbox here: {e}"
    finally:
        w.kill()
