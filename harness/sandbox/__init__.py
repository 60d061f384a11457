"""Isolated execution of model-written programs (code rewards, code benchmarks).

Untrusted code never runs in the harness's process. ``get_sandbox`` returns a warm pool of workers,
one per core: Docker containers (``docker``) or bubblewrap sandboxes (``bwrap``); there is no
unsandboxed backend. Each program runs in a fresh child of a pristine worker (see ``worker.py``).

What it protects against (each line is proved by ``tests/sandbox/``):
- network: no interface but loopback, no DNS; the host's loopback is unreachable (test_hostile: net, dns).
- host files: not visible; the root is read-only; the only writable places are a size-capped /tmp
  (and a 1 MB /dev/shm on bwrap); a secret file on the host cannot be read, host dirs cannot be written.
- privileges: uid 65534, every capability dropped, no-new-privileges (docker) / no nested user
  namespaces (bwrap); the worker is PID 1 and non-dumpable, so a program can neither signal it nor
  ptrace or read it (test_isolation).
- resources: wall clock (timeout), CPU time (RLIMIT_CPU), memory (RLIMIT_AS; plus the cgroup cap on
  docker), processes (RLIMIT_NPROC in the sandbox's own user namespace; plus the cgroup pids cap on
  docker), stdout/stderr capped at ``output_bytes`` (RLIMIT_FSIZE stops the writer; result flagged
  ``truncated``), /tmp size (test_hostile: fork bomb, memory bomb, loop, SIGTERM ignored, 200 MB
  stdout, filling /tmp).
- state across programs: every program gets an empty scratch dir; when it ends every process in the
  sandbox but the worker is SIGKILLed (double-forked daemons included) and /tmp is emptied; a worker
  where anything survives (process, undeletable file, SysV IPC object) is replaced before the next
  program (test_hostile: leftover file, background process; test_pool: taint).
- a crashed, killed or hung worker is replaced; results of ``run_many`` come back in order (test_pool).
- a program that exits early (``os._exit(0)``) never passes a check: ``checks`` requires a per-run
  nonce printed by the test driver after the last test (test_checks).

What it does NOT protect against:
- kernel exploits: isolation is Linux namespaces, rlimits and (docker) cgroups + the engine's default
  seccomp profile, not a VM; use gVisor/Kata (e.g. ``--runtime=runsc`` engine default) for that.
- bwrap has no cgroup: memory is capped per process (RLIMIT_AS), not for the sandbox as a whole,
  and there is no disk-I/O or CPU-share limit; ``/usr`` of the host is visible read-only there.
- a program cheating its own verdict from inside its process (e.g. scanning memory for the checker's
  nonce, monkeypatching the test driver): checks run tests in the program's process, as HumanEval and
  LiveCodeBench do; the sandbox guarantees only that it cannot affect other programs or the host.
- timing side channels, and CPU contention between workers.
"""

from __future__ import annotations

import os

from harness.errors import UserError, unknown
from harness.sandbox.pool import Pool
from harness.sandbox.types import STATUSES, ExecResult, Job, Limits

BACKENDS = ("auto", "docker", "bwrap")
DEFAULT_IMAGE = "mixmerge-sandbox:latest"

__all__ = [
    "BACKENDS", "STATUSES", "ExecResult", "Job", "Limits", "Pool", "get_sandbox", "resolve_backend", "sandbox_for",
]  # fmt: skip


def resolve_backend(name: str) -> str:
    """'docker' or 'bwrap' for ``name``; for 'auto': docker if an engine answers, else bwrap."""
    if name not in BACKENDS:
        raise unknown("sandbox backend", name, BACKENDS)
    if name != "auto":
        return name
    from harness.sandbox.bwrap import bwrap_path
    from harness.sandbox.docker_backend import engine_error

    docker_err = engine_error()
    if docker_err is None:
        return "docker"
    if bwrap_path():
        return "bwrap"
    raise UserError(
        "no sandbox available: no Docker engine answers and bubblewrap is not installed; "
        "run docker/sandbox/start-engine.sh (or install Docker/podman), or apt-get install bubblewrap"
    )


def get_sandbox(
    backend: str = "auto",
    limits: Limits | None = None,
    workers: int | None = None,
    image: str = DEFAULT_IMAGE,
) -> Pool:
    """A started warm pool (use as a context manager; ``close()`` removes every worker)."""
    kind = resolve_backend(backend)
    lim = limits or Limits()
    n = workers or os.cpu_count() or 1
    if kind == "docker":
        from harness.sandbox.docker_backend import DockerSandbox

        pool: Pool = DockerSandbox(lim, n, image)
    else:
        from harness.sandbox.bwrap import BwrapSandbox

        pool = BwrapSandbox(lim, n)
    try:
        return pool.start()
    except UserError:
        pool.close()
        raise
    except Exception as e:
        pool.close()
        raise UserError(f"{kind} sandbox could not start its workers: {e}") from None


def sandbox_for(section, backend: str | None = None) -> Pool:
    """The pool a recipe's ``sandbox`` section asks for (``backend`` overrides, e.g. from ``--sandbox``)."""
    return get_sandbox(
        backend or section.backend, Limits.from_section(section), section.workers, section.image
    )
