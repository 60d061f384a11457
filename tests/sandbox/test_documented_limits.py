"""The 'does NOT protect against' lines of harness/sandbox/__init__.py, shown to hold as stated."""

from __future__ import annotations

from harness.sandbox import Limits
from harness.sandbox.checks import check_humaneval

# The child holds the original pages until the parent has made its own copy of all of them (a pipe, not a
# clock: under load a sleeping child could exit before the parent's copy is complete and the sum never peak).
TWO_PROCESSES_200MB = (
    "import os\nblocks = bytearray(200 << 20)\nfor i in range(0, len(blocks), 4096):\n    blocks[i] = 1\n"
    "r, w = os.pipe()\npid = os.fork()\nif pid == 0:\n    os.close(w)\n    os.read(r, 1)\n    os._exit(0)\n"
    "os.close(r)\nfor i in range(0, len(blocks), 4096):\n    blocks[i] = 2\nos.close(w)\nos.waitpid(pid, 0)\n"
    "print('both alive')\n"
)


def test_memory_cap_is_per_process_on_bwrap_and_per_sandbox_on_docker(sandbox, backend):
    # 256 MB per program; two processes touching 200 MB each (copy-on-write pages made private)
    r = sandbox.run(
        TWO_PROCESSES_200MB, limits=Limits(timeout_s=10, cpu_s=10, memory_mb=256, pids=32, tmpfs_mb=16)
    )
    if backend == "bwrap":
        assert r.status == "ok" and r.stdout == "both alive\n"  # RLIMIT_AS only: no cap on the sum
    else:
        # the container's cgroup (256 + 128 MB) stops the sum: its OOM killer sends SIGKILL
        assert r.status == "killed" and r.exit_code == -9, r


def test_usr_visible_read_only_on_bwrap(sandbox, backend):
    r = sandbox.run("import os\nprint(os.path.exists('/usr/bin/bwrap'))")
    assert r.stdout.strip() == ("True" if backend == "bwrap" else "False")


def test_a_program_can_cheat_its_own_verdict_in_process(sandbox):
    # Documented limit: tests run in the program's process (as in HumanEval/LiveCodeBench), so code
    # that digs the driver's nonce out of the caller's frame can forge a pass for ITSELF. It cannot
    # affect any other program (test_hostile) -- which is what makes RL rewards unhackable across samples.
    cheat = (
        "import sys, os, json\nf = sys._getframe(1)\nwhile f and '_NONCE' not in f.f_globals:\n    f = f.f_back\n"
        "g = f.f_globals\ng['_emit']('MIXMERGE-RESULT ' + g['_NONCE'] + ' ' + json.dumps({'passed': 1, 'total': 1, "
        "'detail': ''}))\nos._exit(0)\n"
    )
    r = check_humaneval(sandbox, cheat, "def check(c):\n    assert False\n", "f")
    assert r.passed
