"""The resource caps themselves, on each backend: what a program manages before the cap stops it.

The hostile battery (test_hostile) shows an attack fails; these show the limit that stops it is the configured
one: bytes a program can put in /tmp <= the tmpfs cap, processes it can start < the pids cap, and a memory bomb
reported as ``memory``. Each program stops by itself at 4x the cap, so a missing cap fails fast, not by timeout.
"""

from __future__ import annotations

from .conftest import TEST_LIMITS

FILL = """
import glob, os
chunk, total, cap, err = 1 << 18, 0, {cap}, None
try:
    while total < 4 * cap:
        with open('/tmp/fill%d' % (total // chunk), 'wb') as f:
            f.write(b'x' * chunk)
        total += chunk
except OSError as e:
    err = e.errno
for p in glob.glob('/tmp/fill*'):
    os.remove(p)  # the program's own stdout lives on the same tmpfs: make room before printing
print(total, err)
"""

FORK = """
import os, signal, time
kids, err = [], None
try:
    while len(kids) < 4 * {cap}:
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        kids.append(pid)
except OSError as e:
    err = e.errno
for k in kids:
    os.kill(k, signal.SIGKILL)
    os.waitpid(k, 0)
print(len(kids), err)
"""

MEMORY_BOMB = "blocks = []\nwhile True:\n    blocks.append(bytearray(50 << 20))\n"


def test_tmp_holds_at_most_the_tmpfs_cap(sandbox):
    cap = TEST_LIMITS.tmpfs_mb << 20
    r = sandbox.run(FILL.format(cap=cap))
    assert r.status == "ok", r
    written, err = r.stdout.split()
    assert err == "28", r.stdout  # ENOSPC: the filesystem was full, not the loop's own 4x stop
    # the tmpfs also holds the job's stdin/stdout files, so a little less than the cap fits
    assert cap // 2 < int(written) <= cap, r.stdout


def test_processes_stop_at_the_pids_cap(sandbox):
    r = sandbox.run(FORK.format(cap=TEST_LIMITS.pids))
    assert r.status == "ok", r
    forked, err = r.stdout.split()
    assert err == "11", r.stdout  # EAGAIN: fork refused, not the loop's own 4x stop
    assert 0 < int(forked) < TEST_LIMITS.pids, r.stdout  # the program itself counts too


def test_memory_bomb_is_reported_as_memory(sandbox):
    r = sandbox.run(MEMORY_BOMB)
    assert r.status == "memory", r
    assert "MemoryError" in r.stderr
