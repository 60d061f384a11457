"""The worker that runs INSIDE a sandbox (container or bubblewrap); standard library only.

It is started as the sandbox's PID 1 (``python3 -I -c <this file>``) as an unprivileged user, reads
programs from stdin as frames (4-byte big-endian length + JSON) and answers one frame per program.
Per program it:

1. empties /tmp (the only writable place) and creates ``/tmp/job/work`` as the program's cwd;
2. forks a child from this pristine process (no program has ever run in it), which starts a new
   session, redirects fds 0/1/2 to files, closes every other fd, sets rlimits (CPU, address space,
   processes, file size = the output cap, no core), clears the environment and ``exec``s the program;
3. waits for it up to the wall-clock limit, then ``kill(-1, SIGKILL)`` — as PID 1 of its own PID
   namespace that signal reaches every other process in the sandbox (double-forked daemons included,
   and fork bombs, since kill(-1) is atomic over the process list) — and reaps all of them;
4. reads at most ``output_bytes`` of stdout/stderr, empties /tmp again and reports whether anything
   survived (a process, a file it could not delete, a SysV IPC object, a POSIX queue): such a worker
   is "tainted" and the host replaces it before the next program.

The worker makes itself non-dumpable, so a program (same uid) can neither ptrace it nor open
``/proc/1/mem`` or ``/proc/1/fd/*``; PID 1 of a namespace ignores signals from inside it.
"""

import builtins
import ctypes
import gc
import json
import os
import resource
import shutil
import signal
import struct
import sys
import time
import traceback

PR_SET_DUMPABLE = 4
# imported once in the pristine worker so that each forked program finds them loaded (copy-on-write)
PRELOAD = (
    "ast base64 bisect collections copy dataclasses datetime decimal fractions functools hashlib heapq io itertools math "
    "operator random re statistics string typing unittest"
).split()
WRITABLE = ("/tmp", "/dev/shm", "/dev/mqueue")


def read_exact(stream, n):
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(stream):
    head = read_exact(stream, 4)
    if head is None:
        return None
    body = read_exact(stream, struct.unpack(">I", head)[0])
    return None if body is None else json.loads(body.decode("utf-8"))


def write_frame(stream, obj):
    body = json.dumps(obj).encode("utf-8")
    stream.write(struct.pack(">I", len(body)) + body)
    stream.flush()


def wipe():
    """Empty every writable place; return the names that could not be removed."""
    left = []
    for root in WRITABLE:
        try:
            entries = list(os.scandir(root))
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    for dirpath, dirnames, _ in os.walk(e.path):
                        for d in dirnames:
                            try:
                                os.chmod(os.path.join(dirpath, d), 0o700, follow_symlinks=False)
                            except OSError:
                                pass
                    os.chmod(e.path, 0o700)
                    shutil.rmtree(e.path)
                else:
                    os.unlink(e.path)
            except OSError:
                left.append(e.path)
    return left


def ipc_objects():
    n = 0
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                n += max(0, len(f.readlines()) - 1)
        except OSError:
            pass
    return n


def kill_all():
    """SIGKILL every other process of the sandbox and reap them; return how many are still alive."""
    for _ in range(1000):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reaped = 0
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
            reaped += 1
        if not others():
            return 0
        if not reaped:
            time.sleep(0.001)
    return len(others())


def others():
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (me, 1)]


def child(req, job):
    lim = req["limits"]
    try:
        os.setsid()
        fd_in = os.open(f"{job}/stdin", os.O_RDONLY)
        fd_out = os.open(f"{job}/stdout", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        fd_err = os.open(f"{job}/stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        for src, dst in ((fd_in, 0), (fd_out, 1), (fd_err, 2)):
            os.dup2(src, dst)
        os.closerange(3, 1 << 16)
        cpu = max(1, int(lim["cpu_s"] + 0.999))
        mem = int(lim["memory_mb"]) << 20
        # no file may outgrow /tmp; stdout/stderr beyond output_bytes are cut when read (and flagged)
        out = max(int(lim["tmpfs_mb"]) << 20, int(lim["output_bytes"]) + 1)
        for res, val in (
            (resource.RLIMIT_CPU, (cpu, cpu + 1)),
            (resource.RLIMIT_AS, (mem, mem)),
            (resource.RLIMIT_NPROC, (int(lim["pids"]), int(lim["pids"]))),
            (resource.RLIMIT_FSIZE, (out, out)),
            (resource.RLIMIT_CORE, (0, 0)),
        ):
            resource.setrlimit(res, val)
        os.chdir(f"{job}/work")
        os.environ.clear()
        os.environ.update(
            {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": f"{job}/work",
                "TMPDIR": "/tmp",
                "LANG": "C.UTF-8",
            }
        )
        sys.stdin = open(0, encoding="utf-8", errors="replace", closefd=False)
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
        sys.argv = ["program"]
        rc = 0
        try:
            code = compile(req["program"], "<program>", "exec")
            exec(code, {"__name__": "__main__", "__builtins__": builtins})
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if not isinstance(e.code, int) and e.code is not None:
                print(e.code, file=sys.stderr)
        except MemoryError:
            rc = 1
            sys.stderr.write("MemoryError\n")
        except BaseException:
            rc = 1
            traceback.print_exc()
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except BaseException:
                pass
        os._exit(rc & 0xFF)
    except BaseException:
        os._exit(125)


def wait(pid, timeout_s):
    """Wait for ``pid``; return (raw status or None on timeout, wall seconds)."""
    t0 = time.monotonic()
    deadline = t0 + timeout_s
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    import select

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, time.monotonic() - t0
        if pidfd is not None:
            select.select([pidfd], [], [], left)
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == pid:
            if pidfd is not None:
                os.close(pidfd)
            return status, time.monotonic() - t0
        if pidfd is None:
            time.sleep(min(0.002, max(left, 0)))


def read_capped(path, cap):
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError:
        return "", False
    return data[:cap].decode("utf-8", errors="replace"), len(data) > cap


def classify(status, timed_out, stderr, truncated):
    if truncated:  # the more telling cause when a flood of output also ran into a time limit
        code = (
            None
            if timed_out
            else (-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
        )
        return "output_limit", code
    if timed_out:
        return "timeout", None
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        code = -sig
        if sig == signal.SIGXCPU:
            return "timeout", code
        if sig == signal.SIGXFSZ or truncated:
            return "output_limit", code
        if sig == signal.SIGKILL:
            return "killed", code
        return "error", code
    code = os.WEXITSTATUS(status)
    if truncated:
        return "output_limit", code
    if code != 0 and "MemoryError" in stderr[-2000:]:
        return "memory", code
    return ("ok" if code == 0 else "error"), code


def run_job(req):
    lim = req["limits"]
    left = wipe()
    job = "/tmp/job"
    os.makedirs(f"{job}/work", mode=0o700)
    with open(f"{job}/stdin", "w", encoding="utf-8") as f:
        f.write(req.get("stdin", ""))
    pid = os.fork()
    if pid == 0:
        child(req, job)
    status, wall = wait(pid, float(lim["timeout_s"]))
    survivors = kill_all()
    timed_out = status is None
    if status is None:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            status = 0
    cap = int(lim["output_bytes"])
    out, t1 = read_capped(f"{job}/stdout", cap)
    err, t2 = read_capped(f"{job}/stderr", cap)
    state, code = classify(status, timed_out, err, t1 or t2)
    left += wipe()
    ipc = ipc_objects()
    taint = []
    if survivors:
        taint.append(f"{survivors} processes survived")
    if left:
        taint.append(f"undeletable: {left[:3]}")
    if ipc:
        taint.append(f"{ipc} SysV IPC objects")
    return {
        "status": state,
        "exit_code": code,
        "stdout": out,
        "stderr": err,
        "wall_s": round(wall, 6),
        "truncated": t1 or t2,
        "tainted": "; ".join(taint),
    }


def main():
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    gc.freeze()  # keep the collector off the preloaded objects: fewer copy-on-write faults per fork
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if (
        len(sys.argv) > 2 and sys.argv[1] == "--fifo"
    ):  # docker: two named pipes the host unlinks once we are up
        inp = open(os.path.join(sys.argv[2], "in"), "rb", buffering=0)
        out = open(os.path.join(sys.argv[2], "out"), "wb")
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
    else:  # bwrap: stdin/stdout are the pipes
        inp = os.fdopen(0, "rb", buffering=0)
        out = os.fdopen(1, "wb")
        os.dup2(os.open("/dev/null", os.O_RDWR), 2)
    write_frame(
        out, {"ready": True, "uid": os.getuid(), "pid": os.getpid(), "python": sys.version.split()[0]}
    )
    while True:
        req = read_frame(inp)
        if req is None:
            return
        try:
            res = run_job(req)
        except Exception as e:  # the worker's own failure, never the program's
            res = {
                "status": "sandbox_error",
                "exit_code": None,
                "stdout": "",
                "stderr": "",
                "wall_s": 0.0,
                "truncated": False,
                "tainted": f"worker error: {type(e).__name__}: {e}",
            }
        write_frame(out, res)


if __name__ == "__main__":
    main()
