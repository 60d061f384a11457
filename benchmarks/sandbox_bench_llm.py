"""(e) of sandbox_bench.py: PyPI llm-sandbox 0.3.46's warm container pool on HumanEval's canonical solutions.

Runs in a throwaway venv, never in the product's:  python3 -m venv /tmp/llmsb-venv &&
/tmp/llmsb-venv/bin/pip install "llm-sandbox[docker]==0.3.46". Prints one JSON line {seconds, passed}.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor

from llm_sandbox.const import SandboxBackend
from llm_sandbox.pool import PoolConfig, PooledSandboxSession, create_pool_manager

import docker


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with gzip.open(args.data, "rt") as f:
        probs = [json.loads(line) for line in f]
    programs = [
        p["prompt"] + p["canonical_solution"] + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n"
        for p in probs
    ]
    cfg = PoolConfig(max_pool_size=args.workers, min_pool_size=args.workers, enable_prewarming=True)
    pool = create_pool_manager(
        client=docker.from_env(), backend=SandboxBackend.DOCKER, config=cfg, lang="python", image=args.image,
        skip_environment_setup=True, runtime_configs={"network_mode": "none"},
    )  # fmt: skip

    def one(code: str) -> bool:
        with PooledSandboxSession(pool_manager=pool, skip_environment_setup=True) as session:
            return session.run(code).exit_code == 0

    try:
        one("print(1)")
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.workers) as ex:
            passed = sum(ex.map(one, programs))
        seconds = time.perf_counter() - t0
    finally:
        pool.close()
    print(json.dumps({"seconds": seconds, "passed": passed}))


if __name__ == "__main__":
    main()
