"""Sandbox throughput on HumanEval's 164 canonical solutions, all methods in one run, as ratios.

    python benchmarks/sandbox_bench.py [--workers N] [--llm-sandbox-python /tmp/llmsb-venv/bin/python]

(a) the docker warm pool and (b) the bwrap pool, through the product path (``checks.check_many``:
driver + nonce, one execution per problem); (c) the unisolated reference: one plain ``python3``
subprocess per problem, N at a time (the way common harnesses execute); (d) one ``docker run`` per
problem with the same isolation flags, N at a time; (e) PyPI ``llm-sandbox``'s warm pool on the same
image, run by ``benchmarks/sandbox_bench_llm.py`` in a throwaway venv (not a dependency of the
product; skipped without ``--llm-sandbox-python``). Every method must pass 164/164.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.sandbox import Limits, get_sandbox  # noqa: E402
from harness.sandbox.checks import HumanEvalCheck, check_many  # noqa: E402
from harness.sandbox.docker_backend import container_config, docker_client  # noqa: E402

DATA = REPO / "../shared/external/humaneval/HumanEval.jsonl.gz"
IMAGE = "mixmerge-sandbox:latest"
PYTHON = "/usr/bin/python3"  # the interpreter the bwrap sandbox runs, and the image's version


def problems() -> list[dict]:
    with gzip.open(DATA, "rt") as f:
        return [json.loads(line) for line in f]


def plain_program(p: dict) -> str:
    return p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n"


def timed(fn):
    t0 = time.perf_counter()
    passed = fn()
    return time.perf_counter() - t0, passed


def pool_method(backend: str, probs: list[dict], workers: int):
    with get_sandbox(backend, limits=Limits(), workers=workers, image=IMAGE) as sb:
        check_many(sb, [HumanEvalCheck("def f():\n    pass\n", "def check(c):\n    pass\n", "f")] * workers)
        checks = [
            HumanEvalCheck(p["prompt"] + p["canonical_solution"], p["test"], p["entry_point"]) for p in probs
        ]
        return timed(lambda: sum(r.passed for r in check_many(sb, checks)))


def unisolated(probs: list[dict], workers: int):
    def one(p):
        return (
            subprocess.run([PYTHON, "-c", plain_program(p)], capture_output=True, timeout=60).returncode == 0
        )

    with ThreadPoolExecutor(workers) as ex:
        return timed(lambda: sum(ex.map(one, probs)))


def docker_run(probs: list[dict], workers: int):
    client = docker_client()
    cfg = container_config(IMAGE, Limits())
    for k in ("command", "stdin_open", "auto_remove", "detach", "labels"):
        cfg.pop(k)

    def one(p):
        try:
            client.containers.run(command=["python3", "-c", plain_program(p)], remove=True, **cfg)
            return True
        except Exception:
            return False

    with ThreadPoolExecutor(workers) as ex:
        return timed(lambda: sum(ex.map(one, probs)))


def llm_sandbox(python: str, workers: int):
    out = subprocess.run(
        [python, str(REPO / "benchmarks/sandbox_bench_llm.py"), "--data", str(DATA), "--image", IMAGE,
         "--workers", str(workers)],
        capture_output=True, text=True, env={**os.environ},
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return res["seconds"], res["passed"]


DOCKER_CGROUP = Path("/sys/fs/cgroup/cpu/docker/cpu.shares")  # cgroup v1; v2 has cpu.weight


def docker_group_shares(value: int | None) -> int | None:
    """Read (and with ``value``, set) the CPU shares of the engine's cgroup; None where not cgroup v1."""
    if not DOCKER_CGROUP.exists():
        return None
    old = int(DOCKER_CGROUP.read_text())
    if value is not None:
        DOCKER_CGROUP.write_text(str(value))
    return old


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--llm-sandbox-python", default=os.environ.get("LLM_SANDBOX_PYTHON"))
    ap.add_argument("--skip", default="", help="comma-separated letters to skip, e.g. d,e")
    ap.add_argument(
        "--docker-cpu-shares", type=int, default=None,
        help="set the engine cgroup's cpu.shares for the run (root, cgroup v1), restored after: every container "
        "shares ONE cgroup weight (1024 = one process) against all processes outside it on a busy host",
    )  # fmt: skip
    args = ap.parse_args()
    probs = problems()
    skip = set(args.skip.split(","))
    methods = {
        "a": ("docker warm pool (mixmerge)", lambda: pool_method("docker", probs, args.workers)),
        "b": ("bwrap pool (mixmerge)", lambda: pool_method("bwrap", probs, args.workers)),
        "c": ("unisolated subprocess per problem", lambda: unisolated(probs, args.workers)),
        "d": ("docker run per problem", lambda: docker_run(probs, args.workers)),
        "e": ("llm-sandbox 0.3.46 warm pool", lambda: llm_sandbox(args.llm_sandbox_python, args.workers)),
    }
    if not args.llm_sandbox_python:
        skip.add("e")
    n = len(probs)
    print(f"HumanEval canonical solutions: {n} problems, {args.workers} at a time, {os.cpu_count()} cores")
    old_shares = docker_group_shares(args.docker_cpu_shares)
    changed = f" -> {args.docker_cpu_shares} for this run" if args.docker_cpu_shares else ""
    print(f"load average {os.getloadavg()[0]:.1f}; engine cgroup cpu.shares {old_shares}{changed}")
    try:
        times = run_all(methods, skip, n)
    finally:
        if args.docker_cpu_shares and old_shares:
            docker_group_shares(old_shares)
    report(times)
    return 0


def run_all(methods: dict, skip: set[str], n: int) -> dict[str, float]:
    times: dict[str, float] = {}
    for key, (name, fn) in methods.items():
        if key in skip:
            print(f"({key}) {name:38s} skipped")
            continue
        try:
            sec, passed = fn()
        except Exception as e:  # report and go on: the other methods' figures still stand
            print(f"({key}) {name:38s} FAILED: {str(e).strip().splitlines()[-1][:200]}")
            continue
        times[key] = sec
        print(
            f"({key}) {name:38s} {sec:7.2f} s  {passed}/{n} passed  {1000 * sec / n:6.1f} ms/problem",
            flush=True,
        )
    return times


def report(times: dict[str, float]) -> None:
    if "c" in times:
        print("time relative to (c) unisolated = 1.00x:")
        for key, sec in times.items():
            print(f"  ({key}) {sec / times['c']:6.2f}x")
    for fast in ("a", "b"):
        for slow in ("d", "e"):
            if fast in times and slow in times:
                print(f"({fast}) is {times[slow] / times[fast]:.1f}x faster than ({slow})")


if __name__ == "__main__":
    sys.exit(main())
