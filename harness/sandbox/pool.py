"""Host side of the sandbox: a warm pool of workers (one per core by default), each a long-lived
sandbox (container or bubblewrap) running ``worker.py`` as its PID 1, spoken to over a pipe.

A worker that dies, does not answer within the program's wall-clock limit plus a grace period, or
reports itself tainted (something survived the program) is killed and replaced before it takes the
next program. ``run_many`` keeps every worker busy and returns results in the order of the jobs.

Infrastructure failures are results, never exceptions, once the pool has started: a worker that dies or
hangs under a program, or one that cannot be replaced (the engine stopped answering), gives that job
``status="sandbox_error"`` (the sandbox failed, not the program; ``infra_failures`` counts them) and the slot
tries to start a fresh worker for its next job. Callers decide what to do with it (retry, mask, stop).
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import select
import struct
import threading
import time
import weakref
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.errors import UserError
from harness.sandbox.types import ExecResult, Job, Limits

log = logging.getLogger(__name__)
WORKER_SOURCE = (Path(__file__).parent / "worker.py").read_text()
GRACE_S = 5.0  # beyond the program's own wall-clock limit, before the worker counts as hung
START_TIMEOUT_S = 60.0


class WorkerDied(Exception):
    """The worker's pipe closed or it did not answer in time."""


class NotDelivered(WorkerDied):
    """The worker was gone before it got the program (safe to retry on a fresh worker)."""


class ReplaceFailed(Exception):
    """A dead worker could not be replaced (e.g. the engine stopped answering); carries the dead one."""

    def __init__(self, worker: Worker, why: str):
        super().__init__(why)
        self.worker, self.why = worker, why


class Worker(ABC):
    """One sandbox holding a worker process; subclasses provide the byte transport."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._buf = b""
        self.hello: dict = {}

    @abstractmethod
    def _spawn(self) -> None: ...

    @abstractmethod
    def _write(self, data: bytes) -> None: ...

    @abstractmethod
    def _read_some(self, deadline: float) -> bytes:
        """Some bytes of the worker's stdout (b"" = closed); WorkerDied past the deadline."""

    @abstractmethod
    def kill(self) -> None: ...

    @property
    @abstractmethod
    def ident(self) -> str:
        """Container id or host pid: what a test checks is gone after ``close()``."""

    def start(self) -> dict:
        self._spawn()
        try:
            self.hello = self._recv(time.monotonic() + START_TIMEOUT_S)
        except WorkerDied as e:
            self.kill()
            raise WorkerDied(f"worker did not start: {e} {self.diagnostics()}".strip()) from None
        return self.hello

    def diagnostics(self) -> str:
        return ""

    def _recv(self, deadline: float) -> dict:
        while True:
            if len(self._buf) >= 4:
                (n,) = struct.unpack(">I", self._buf[:4])
                if len(self._buf) >= 4 + n:
                    body, self._buf = self._buf[4 : 4 + n], self._buf[4 + n :]
                    return json.loads(body)
            chunk = self._read_some(deadline)
            if not chunk:
                raise WorkerDied("worker closed its pipe")
            self._buf += chunk

    def send(self, program: str, stdin: str, limits: Limits) -> None:
        body = json.dumps({"program": program, "stdin": stdin, "limits": limits.to_dict()}).encode()
        try:
            self._write(struct.pack(">I", len(body)) + body)
        except OSError as e:
            raise NotDelivered(f"cannot write to worker: {e}") from None

    def receive(self, limits: Limits, grace_s: float = GRACE_S) -> dict:
        return self._recv(time.monotonic() + limits.timeout_s + grace_s)


def wait_readable(fd: int, deadline: float) -> None:
    left = deadline - time.monotonic()
    if left <= 0 or not select.select([fd], [], [], left)[0]:
        raise WorkerDied("worker did not answer in time (hung)")


_OPEN: weakref.WeakSet[Pool] = weakref.WeakSet()


@atexit.register
def _close_forgotten() -> None:
    for pool in list(_OPEN):
        pool.close()


class Pool:
    """A warm pool of workers made by ``factory``; thread-safe ``run`` and ordered ``run_many``."""

    backend = "pool"

    def __init__(self, factory, limits: Limits, workers: int):
        self.factory = factory
        self.limits = limits
        self.size = max(1, int(workers))
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.replaced = 0
        self.infra_failures = 0  # jobs answered with status sandbox_error
        self.grace_s = GRACE_S
        self.spawned: list[Worker] = []  # every worker ever started (replacements included)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Pool:
        _OPEN.add(self)
        with ThreadPoolExecutor(self.size) as ex:
            made = list(ex.map(lambda _: self._new_worker(), range(self.size)))
        for w in made:
            self._idle.put(w)
        return self

    def _new_worker(self) -> Worker:
        w = self.factory(self.limits)
        with self._lock:
            self._all.add(w)
            self.spawned.append(w)
        try:
            w.start()
        except Exception:
            with self._lock:
                self._all.discard(w)
            raise
        return w

    def _retire(self, w: Worker, why: str) -> Worker:
        log.info("replacing sandbox worker: %s", why)
        self.replaced += 1
        w.kill()
        with self._lock:
            self._all.discard(w)
        try:
            return self._new_worker()
        except UserError as e:
            raise ReplaceFailed(w, f"{self.backend} sandbox: a worker could not be replaced ({why}): {e}") from None
        except Exception as e:
            raise ReplaceFailed(w, f"{self.backend} sandbox: a worker could not be replaced ({why}): "
                                   f"{type(e).__name__}: {e}") from None

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), set()
        for w in workers:
            try:
                w.kill()
            except Exception as e:  # closing must finish even if one worker is already gone
                log.debug("kill failed: %s", e)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- running -----------------------------------------------------------------------------
    def run(self, program: str, stdin: str = "", limits: Limits | None = None) -> ExecResult:
        if self._closed:
            raise RuntimeError("sandbox is closed")
        lim = limits or self.limits
        w = self._idle.get()
        t0 = time.monotonic()
        try:
            try:
                try:
                    w.send(program, stdin, lim)
                except NotDelivered as e:
                    w = self._retire(w, str(e))
                    w.send(program, stdin, lim)
                raw = w.receive(lim, self.grace_s)
            except WorkerDied as e:
                w = self._retire(w, str(e))
                return self._infra(f"{e}; worker replaced", t0)
            taint = raw.pop("tainted", "")
            if taint:
                w = self._retire(w, f"tainted: {taint}")
            if raw.get("status") == "sandbox_error":
                self.infra_failures += 1
            return ExecResult(**raw, detail=f"worker replaced (tainted: {taint})" if taint else "")
        except ReplaceFailed as e:  # the slot keeps its dead worker; its next job tries a fresh one again
            w = e.worker
            log.warning("%s", e.why)
            return self._infra(e.why, t0)
        finally:
            self._idle.put(w)

    def _infra(self, detail: str, t0: float) -> ExecResult:
        self.infra_failures += 1
        return ExecResult.sandbox_error(detail, time.monotonic() - t0)

    def run_many(self, jobs: list[Job]) -> list[ExecResult]:
        jobs = list(jobs)
        if not jobs:
            return []
        with ThreadPoolExecutor(min(self.size, len(jobs))) as ex:
            return list(ex.map(lambda j: self.run(j.program, j.stdin, j.limits), jobs))
