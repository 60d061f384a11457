"""Docker backend: each worker is one long-lived container (any Docker-API engine; ``DOCKER_HOST`` is
honoured, podman's API works too) with no network, a read-only root, a size-capped tmpfs on /tmp, uid
65534, every capability dropped, no-new-privileges, a private IPC namespace without /dev/shm, and
cgroup caps on memory and processes. The worker inside gets programs over two named pipes in a private
host directory that is bind-mounted read-only and unlinked as soon as both ends are open (fast: no
engine in the data path); for a remote engine, or with ``MIXMERGE_SANDBOX_TRANSPORT=attach`` (e.g. an
engine in a VM whose file sharing cannot carry FIFOs), over the engine's attach stream instead.
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import socket
import struct
import tempfile
import time
from pathlib import Path

from harness.errors import UserError, unknown
from harness.sandbox.pool import (
    GRACE_S,
    START_TIMEOUT_S,
    WORKER_SOURCE,
    Pool,
    Worker,
    WorkerDied,
    wait_readable,
)
from harness.sandbox.types import Limits

LABEL = "org.mixmerge.sandbox"
WORKER_OVERHEAD_MB = 128
FIFO_MOUNT = "/run/mixmerge"  # the worker's own interpreter, on top of the program's memory cap


def docker_client(timeout: float = 10.0):
    """A client for the engine at ``DOCKER_HOST`` (or the default socket), or a UserError."""
    try:
        import docker
    except ImportError:  # pragma: no cover - a declared dependency
        raise UserError(
            "docker sandbox: the 'docker' Python package is missing (pip install docker)"
        ) from None
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
        return client
    except Exception as e:
        raise UserError(
            f"docker sandbox: no engine answers ({type(e).__name__}); start one with docker/sandbox/start-engine.sh "
            "and export the DOCKER_HOST it prints, or use --sandbox bwrap"
        ) from None


def engine_error() -> str | None:
    try:
        docker_client(timeout=3)
        return None
    except UserError as e:
        return str(e)


def container_config(image: str, limits: Limits) -> dict:
    mem = f"{limits.memory_mb + WORKER_OVERHEAD_MB}m"
    return dict(
        image=image,
        command=["python3", "-I", "-c", WORKER_SOURCE],
        stdin_open=True,
        detach=False,  # with stdin_open: StdinOnce, so the worker sees EOF when the harness goes away and exits
        auto_remove=True,  # ... and the engine removes its container
        user="65534:65534",
        network_mode="none",
        read_only=True,
        tmpfs={"/tmp": f"size={limits.tmpfs_mb}m,mode=1777,noexec,nosuid,nodev"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        ipc_mode="none",
        mem_limit=mem,
        memswap_limit=mem,
        pids_limit=limits.pids + 8,
        hostname="sandbox",
        working_dir="/tmp",
        environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
        labels={LABEL: "worker"},
    )


def local_engine() -> bool:
    """Whether workers talk over FIFOs: the engine shares this machine's filesystem (a unix socket)."""
    transport = os.environ.get("MIXMERGE_SANDBOX_TRANSPORT", "auto")
    if transport not in ("auto", "fifo", "attach"):
        raise unknown("MIXMERGE_SANDBOX_TRANSPORT", transport, ["auto", "fifo", "attach"])
    host = os.environ.get("DOCKER_HOST", "")
    return transport == "fifo" or (transport == "auto" and (host == "" or host.startswith("unix://")))


class DockerWorker(Worker):
    """A container whose worker speaks over two named pipes bind-mounted from a private host directory
    (unlinked as soon as the worker has opened them, so no program can reach them), or, for a remote
    engine, over the engine's attach stream."""

    image = "mixmerge-sandbox:latest"
    container = None
    sock: socket.socket | None = None
    fifo_dir: Path | None = None
    fd_in: int | None = None
    fd_out: int | None = None

    def _spawn(self) -> None:
        import docker

        client = docker_client()
        cfg = container_config(self.image, self.limits)
        if local_engine():
            self.fifo_dir = Path(tempfile.mkdtemp(prefix="mixmerge-sandbox-"))
            self.fifo_dir.chmod(0o711)
            for name, mode in (
                ("in", 0o604),
                ("out", 0o602),
            ):  # the worker (another uid) reads in, writes out
                os.mkfifo(self.fifo_dir / name)
                (self.fifo_dir / name).chmod(mode)
            cfg.update(stdin_open=False, volumes={str(self.fifo_dir): {"bind": FIFO_MOUNT, "mode": "ro"}})
            cfg["command"] = [*cfg["command"], "--fifo", FIFO_MOUNT]
        try:
            self.container = client.containers.create(**cfg)
        except docker.errors.ImageNotFound:
            raise UserError(
                f"docker sandbox: image {self.image!r} is missing; build it with `mixmerge sandbox build`"
            ) from None
        if self.fifo_dir is None:
            io = self.container.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
            self.sock = getattr(io, "_sock", io)
            self.sock.setblocking(True)
        self.container.start()
        self._raw = b""
        if self.fifo_dir is not None:
            self._open_fifos(time.monotonic() + START_TIMEOUT_S)

    def _open_fifos(self, deadline: float) -> None:
        assert self.fifo_dir is not None
        self.fd_out = os.open(self.fifo_dir / "out", os.O_RDONLY | os.O_NONBLOCK)
        while True:  # the worker opens `in` for reading first, then `out` for writing
            try:
                self.fd_in = os.open(self.fifo_dir / "in", os.O_WRONLY | os.O_NONBLOCK)
                return
            except OSError as e:
                if e.errno != errno.ENXIO or time.monotonic() > deadline:
                    raise WorkerDied(
                        f"worker container did not open its pipe ({e}); if the engine runs in a VM, "
                        "set MIXMERGE_SANDBOX_TRANSPORT=attach"
                    ) from None
                time.sleep(0.005)

    def start(self) -> dict:
        hello = super().start()
        if self.fifo_dir is not None:  # both ends are open: nothing else may ever open them
            shutil.rmtree(self.fifo_dir, ignore_errors=True)
        return hello

    def _write(self, data: bytes) -> None:
        if self.fd_in is not None:
            deadline = time.monotonic() + GRACE_S + 30
            view = memoryview(data)
            while view:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([], [self.fd_in], [], left)[1]:
                    raise BrokenPipeError("worker does not take its program (hung)")
                view = view[os.write(self.fd_in, view) :]
            return
        if self.sock is None:  # killed (or never started): report it as a pipe that is gone
            raise BrokenPipeError("worker container is gone")
        if select.select([self.sock], [], [], 0)[0] and not self.sock.recv(1, socket.MSG_PEEK):
            raise BrokenPipeError("worker container's stream is closed")
        self.sock.sendall(data)

    def _read_some(self, deadline: float) -> bytes:
        if self.fd_out is not None:
            while True:
                wait_readable(self.fd_out, deadline)
                try:
                    chunk = os.read(self.fd_out, 1 << 20)
                except BlockingIOError:
                    continue
                if chunk or self.hello:
                    return chunk
                time.sleep(0.005)  # before the hello, EOF only means the worker has not opened `out` yet
        return self._read_attach(deadline)

    def _read_attach(self, deadline: float) -> bytes:
        """Strip the engine's stream multiplexing (8-byte headers) and return stdout payload bytes."""
        assert self.sock is not None
        while True:
            if len(self._raw) >= 8:
                kind, n = self._raw[0], struct.unpack(">I", self._raw[4:8])[0]
                if len(self._raw) >= 8 + n:
                    payload, self._raw = self._raw[8 : 8 + n], self._raw[8 + n :]
                    if kind == 1 and payload:
                        return payload
                    continue
            wait_readable(self.sock.fileno(), deadline)
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return b""
            self._raw += chunk

    @property
    def ident(self) -> str:
        return self.container.id if self.container is not None else ""

    def diagnostics(self) -> str:
        try:
            return self.container.logs(stdout=False, stderr=True, tail=20).decode(errors="replace").strip()
        except Exception:
            return ""

    def kill(self) -> None:
        for fd in (self.fd_in, self.fd_out):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.fd_in = self.fd_out = None
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        if self.fifo_dir is not None:
            shutil.rmtree(self.fifo_dir, ignore_errors=True)
        if self.container is not None:
            try:
                self.container.remove(force=True)
            except Exception:
                time.sleep(0.2)
                try:
                    self.container.remove(force=True)
                except Exception:
                    pass


class DockerSandbox(Pool):
    backend = "docker"

    def __init__(self, limits: Limits, workers: int, image: str):
        self.image = image
        factory = type("DockerWorkerFor", (DockerWorker,), {"image": image})
        super().__init__(factory, limits, workers)
