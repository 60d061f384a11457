"""Isolated execution of model-written programs (code rewards, code benchmarks).

Untrusted code never runs in the harness's process. ``get_sandbox`` returns a warm pool of workers,
one per core: Docker containers (``docker``) or bubblewrap sandboxes (``bwrap``); there is no
unsandboxed backend. Each program runs in a fresh child of a pristine worker (see ``worker.py``).

What it protects against (each line proved by the tests named in brackets, under tests/sandbox/):
- network: no interface but loopback, no DNS; the host's addresses, loopback included, are unreachable
  [test_isolation::test_no_network_interface_but_loopback; test_hostile: network connect, DNS lookup].
- host files: not visible; the root is read-only; the only writable places are a size-capped /tmp
  (plus a 1 MB /dev/shm on bwrap) [test_isolation::test_host_files_not_visible,
  test_root_read_only_and_tmp_is_the_only_writable_place; test_hostile: host secret, host dir, filling /tmp].
- privileges: uid 65534, every capability dropped, no-new-privileges, no nested user namespaces; the
  worker is PID 1 of the sandbox and non-dumpable, so a program can neither signal, ptrace nor read it
  [test_isolation::test_unprivileged_no_caps_no_new_privs, test_no_nested_user_namespace,
  test_worker_is_pid1_unkillable_and_unreadable].
- resources: wall clock, CPU time (RLIMIT_CPU), memory (RLIMIT_AS; plus the container's cgroup on
  docker), processes (RLIMIT_NPROC in the sandbox's own user namespace; plus the cgroup pids cap on
  docker), stdout/stderr cut at ``output_bytes`` (flagged ``truncated``, status ``output_limit``) and
  every write bounded by the /tmp size [test_isolation::test_limits, test_pids_capped; test_hostile: fork bomb, memory bomb,
  infinite loop, ignores SIGTERM, 200 MB of stdout].
- state across programs: every program gets an empty scratch dir; when it ends every other process in
  the sandbox is SIGKILLed (double-forked daemons included) and /tmp is emptied; a worker where
  anything survives (a process, an undeletable file, a SysV IPC object) is replaced before the next
  program [test_hostile: leaves files / reads them, background process / sees it, SysV segment;
  test_pool::test_no_state_between_programs].
- a dead, hung or tainted worker is replaced; ``run_many`` returns results in job order
  [test_pool::test_tainted_dead_and_hung_workers_are_replaced, test_run_many_in_order]. A worker that dies
  under a program, or one that cannot be replaced (the engine stopped answering), is reported as
  ``sandbox_error`` for that job, never raised and never a failed program; the code verifier turns it into
  an ``infra`` verdict [test_infra::test_worker_killed_mid_program_is_an_infra_verdict,
  test_engine_gone_masks_the_samples_and_stops_the_step]. Workers exit
  (docker: and the engine removes them) when the harness process dies: their input pipe closes
  [test_pool::test_workers_go_away_when_the_harness_dies].
- a program that exits early (``os._exit(0)``, ``sys.exit``, a signal) never passes a check: it needs
  the driver's result line carrying a nonce that is not in the program text
  [test_checks::test_exit_before_tests_never_passes, test_forged_marker_without_nonce_fails].
- a result that fakes equality (an object whose ``__eq__`` always answers True, a subclass of int, a list
  holding one) never passes: call-based results and the values HumanEval's ``check`` sees must be plain
  built-in values [test_driver_lcb::test_results_that_fake_equality_fail_call_based,
  test_humaneval_stub_faking_equality_fails_and_canonical_passes].

What it does NOT protect against:
- kernel exploits: the isolation is Linux namespaces, rlimits and (docker) cgroups plus the engine's
  default seccomp profile, not a VM; for that, run the engine with gVisor/Kata as its default runtime.
- on bwrap there is no cgroup: memory is capped per process (RLIMIT_AS), not for the sandbox as a
  whole, there is no CPU-share or disk-I/O limit, and the host's /usr is visible read-only
  [test_documented_limits::test_memory_cap_is_per_process_on_bwrap_and_per_sandbox_on_docker,
  test_usr_visible_read_only_on_bwrap].
- a program forging its OWN verdict from inside its process (reading the driver's frames for the
  nonce, monkeypatching the checker): tests run in the program's process, as in HumanEval and
  LiveCodeBench; the sandbox guarantees that it cannot affect any other program or the host
  [test_documented_limits::test_a_program_can_cheat_its_own_verdict_in_process].
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
