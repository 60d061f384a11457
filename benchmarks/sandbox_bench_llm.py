"""(e) of sandbox_bench.py: PyPI llm-sandbox 0.3.46's warm container pool on HumanEval's canonical solutions.

Runs in a throwaway venv, never in the product's:  python3 -m venv /tmp/llmsb-venv &&
/tmp/llmsb-venv/bin/pip install "llm-sandbox[docker]==0.3.46". Prints one JSON line {seconds, passed}.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import time
from concurrent.futures import ThreadPoolExecutor

from llm_sandbox.const import SandboxBackend
from llm_sandbox.pool import PoolConfig, PooledSandboxSession, create_pool_manager

import docker


def llm_sandbox_image(client, image: str) -> str:
    """``image`` plus the venv path llm-sandbox's pooled sessions call (its pool always runs
    /sandbox/.sandbox-venv/bin/python and would otherwise create the venv with pip, which needs a network)."""
    tag = image.split(":")[0] + "-llmsb:latest"
    dockerfile = (
        f"FROM {image}\nUSER root\n"
        'RUN mkdir -p /sandbox/.sandbox-venv/bin && ln -s "$(command -v python3)" /sandbox/.sandbox-venv/bin/python\n'
    )
    client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, pull=False)
    return tag


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
    client = docker.from_env()
    image = llm_sandbox_image(client, args.image)
    pool = create_pool_manager(
        client=client, backend=SandboxBackend.DOCKER, config=cfg, lang="python", image=image,
        skip_environment_setup=True, runtime_configs={"network_mode": "none"},
    )  # fmt: skip

    def one(code: str) -> bool:
        with PooledSandboxSession(pool_manager=pool) as session:
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
