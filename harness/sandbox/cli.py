"""`mixmerge sandbox build|check`: build the sandbox image; report the engine, the image and a quick
isolation subset on the selected backend (exit 0 when every check holds, 1 otherwise)."""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from pathlib import Path

from harness.errors import UserError, unknown
from harness.sandbox import BACKENDS, DEFAULT_IMAGE, Limits, get_sandbox, resolve_backend
from harness.sandbox.checks import HumanEvalCheck, check_many

ADD_TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
GOOD = "def add(a, b):\n    return a + b\n"
QUICK_LIMITS = Limits(timeout_s=2, cpu_s=2, memory_mb=256, pids=32, output_bytes=1 << 16, tmpfs_mb=16)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = sub.add_parser(
        "build", help="build the sandbox image (offline base via debootstrap when no registry)"
    )
    b.add_argument("--image", default=DEFAULT_IMAGE)
    b.add_argument("--offline", action="store_true", help="skip the registry and build the base offline")
    b.add_argument("--rootfs", type=Path, help="reuse a debootstrap'ed root filesystem directory")
    c = sub.add_parser("check", help="engine reachable, image present, a quick isolation subset")
    c.add_argument("--sandbox", default="auto", help=f"backend: {'|'.join(BACKENDS)}")
    c.add_argument("--image", default=DEFAULT_IMAGE)
    c.add_argument("--workers", type=int, default=1, help="1 keeps the leak pair on one worker")


def run(args: argparse.Namespace) -> int:
    if args.action == "build":
        from harness.sandbox.image import build_image

        build_image(args.image, offline=True if args.offline else None, rootfs=args.rootfs)
        return 0
    return check(args.sandbox, args.image, args.workers)


def _quick_battery(secret: Path, expect: Limits, port: int) -> list[tuple[str, str, bool]]:
    """(name, program, whether it must pass). Each program can come out either way: it defines a correct ``add``
    only when what it checks for escaped (or, for the leak writer, when its write took place)."""

    def win_if(cond: str) -> str:
        return f"if {cond}:\n    def add(a, b):\n        return a + b\n"

    forks = 4 * expect.pids  # more processes than the cap allows, then stop (a missing cap ends here, not in a hang)
    return [
        ("runs a correct program", GOOD, True),
        # the host's own listener on 127.0.0.1 answers even on a machine without internet access
        ("no network (connect to the host's 127.0.0.1 or 1.1.1.1:53)", "import socket\nnet = False\n"
         f"for addr in (('127.0.0.1', {port}), ('1.1.1.1', 53)):\n    try:\n"
         "        socket.create_connection(addr, timeout=1).close()\n        net = True\n    except OSError:\n"
         "        pass\n" + win_if("net"), False),
        ("no DNS", "import socket\ntry:\n    socket.getaddrinfo('pypi.org', 443)\n    dns = True\nexcept OSError:\n"
         "    dns = False\n" + win_if("dns"), False),
        ("host file not visible", "import os\n" + win_if(f"os.path.exists({str(secret)!r})"), False),
        ("read-only root", "try:\n    open('/usr/pwned', 'w')\n    w = True\nexcept OSError:\n    w = False\n"
         + win_if("w"), False),
        (f"fork bomb contained (< {expect.pids} processes)", "import os, time\nn = 0\ntry:\n"
         f"    while n < {forks}:\n        if os.fork() == 0:\n            time.sleep(5)\n            os._exit(0)\n"
         "        n += 1\nexcept OSError:\n    pass\n" + win_if(f"n >= {expect.pids}"), False),
        (f"wall-clock limit ({expect.timeout_s:g} s)", f"import time\ntime.sleep({2 * expect.timeout_s})\n" + GOOD,
         False),  # sleeping uses no CPU: only the wall-clock limit stops it
        ("file left for a later program (1 MiB in /tmp)",
         "try:\n    open('/tmp/leak', 'wb').write(b'x' * (1 << 20))\n    w = True\nexcept OSError:\n    w = False\n"
         + win_if("w"), True),  # when nothing could be written, the next check would prove nothing
        ("no file from a previous program", "import os\n" + win_if("os.path.exists('/tmp/leak')"), False),
        ("os._exit(0) never passes", GOOD + "import os\nos._exit(0)\n", False),
    ]  # fmt: skip


def check(backend: str, image: str, workers: int, limits: Limits = QUICK_LIMITS) -> int:
    """The quick battery against ``limits`` (tests pass weaker ones to show each check can fail)."""
    if backend not in BACKENDS:
        raise unknown("sandbox backend", backend, BACKENDS)
    from harness.sandbox.bwrap import bwrap_usable
    from harness.sandbox.docker_backend import docker_client, engine_error
    from harness.sandbox.image import image_present

    err = engine_error()
    if err is None:
        version = docker_client().version().get("Version", "?")
        print(
            f"engine     : reachable ({os.environ.get('DOCKER_HOST', 'default socket')}, version {version})"
        )
        print(
            f"image      : {image} {'present' if image_present(image) else 'MISSING (mixmerge sandbox build)'}"
        )
    else:
        print(f"engine     : not reachable: {err}")
    bw = bwrap_usable()
    print(f"bubblewrap : {'usable' if bw is None else bw}")
    kind = resolve_backend(backend)
    print(f"backend    : {kind}{' (auto)' if backend == 'auto' else ''}")
    failures = 0
    with tempfile.TemporaryDirectory(prefix="mixmerge-secret-") as tmp, socket.create_server(("127.0.0.1", 0)) as srv:
        secret = Path(tmp) / "secret.txt"
        secret.write_text("secret")
        t0 = time.monotonic()
        try:
            with get_sandbox(kind, limits=limits, workers=workers, image=image) as sb:
                started = time.monotonic() - t0
                cases = _quick_battery(secret, QUICK_LIMITS, srv.getsockname()[1])
                checks = [HumanEvalCheck(p, ADD_TEST, "add") for _, p, _ in cases]
                # the leak pair must run one after the other on one worker: run sequentially
                results = [check_many(sb, [c])[0] for c in checks]
        except UserError as e:
            print(f"isolation  : cannot start the {kind} sandbox: {e}")
            return 1
        print(f"isolation  : {kind}, {workers} warm workers started in {started:.2f} s")
        for (name, _, must_pass), r in zip(cases, results, strict=True):
            ok = r.passed == must_pass
            failures += not ok
            print(f"  {'PASS' if ok else 'FAIL'}  {name}" + ("" if ok else f"  ({r.status}: {r.detail})"))
    total = len(results)
    print(f"result     : {'OK' if not failures else 'FAILED'} ({total - failures}/{total} checks hold)")
    return 1 if failures else 0
