"""``mixmerge eval --isolate docker``: the whole evaluation inside the docker/eval image.

The model directory is mounted read-only at /model, the results directory at /out, ``--data`` files
read-only under /data; the container runs as the calling user, without network unless the backend is
``openai``, and is removed afterwards. GPU images (tag not ending in ``cpu``) get every GPU. Code suites
use bubblewrap inside the container, which needs seccomp/apparmor unconfined (no Docker socket is mounted).
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import UserError
from harness.eval.runner import model_name_of
from harness.generation import is_url


def container_spec(args, suites: list[str], backend: str) -> dict:
    """The ``containers.run`` keyword arguments (a pure function of the CLI arguments)."""
    out = Path(args.out).resolve()
    cmd = ["eval", "--suites", ",".join(suites), "--out", "/out", "--backend", backend, "--seed", str(args.seed),
           "--sandbox", "bwrap", "--isolate", "none"]
    volumes = {str(out): {"bind": "/out", "mode": "rw"}}
    if is_url(args.model):
        cmd += ["--model", args.model, "--concurrency", str(args.concurrency)]
        name = args.model_name or model_name_of(args.model, args.served_model)
    else:
        model = Path(args.model).resolve()
        if not (model / "config.json").exists():
            raise UserError(f"model {args.model!r}: not a Hugging Face model directory")
        volumes[str(model)] = {"bind": "/model", "mode": "ro"}
        cmd += ["--model", "/model", "--batch-size", str(args.batch_size)]
        name = args.model_name or model_name_of(str(model))
    cmd += ["--model-name", name]
    for flag, val in (("--k", args.k), ("--limit", args.limit), ("--temperature", args.temperature),
                      ("--top-p", args.top_p), ("--max-new-tokens", args.max_new_tokens),
                      ("--served-model", args.served_model)):
        if val is not None:
            cmd += [flag, str(val)]
    for s in args.stop or []:
        cmd += ["--stop", s]
    for i, item in enumerate(args.data):
        suite, _, path = item.partition("=")
        p = Path(path).resolve()
        if not p.exists():
            raise UserError(f"--data {item!r}: {path} does not exist")
        volumes[str(p)] = {"bind": f"/data/{i}/{p.name}", "mode": "ro"}
        cmd += ["--data", f"{suite}=/data/{i}/{p.name}"]
    spec = {"image": args.image, "command": cmd, "volumes": volumes, "user": f"{os.getuid()}:{os.getgid()}",
            "environment": {"HOME": "/tmp", "HF_HUB_OFFLINE": "1"}, "detach": True,
            "network_mode": "bridge" if backend == "openai" else "none", "labels": {"org.mixmerge.role": "eval"}}
    if any("code" in s or "humaneval" in s or "livecodebench" in s for s in suites):
        spec["security_opt"] = ["seccomp=unconfined", "apparmor=unconfined"]
    if not args.image.split(":")[-1].endswith("cpu"):
        import docker

        spec["device_requests"] = [docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return spec


def run_isolated(args, suites: list[str], backend: str) -> int:
    from harness.sandbox.docker_backend import docker_client

    client = docker_client()
    try:
        client.images.get(args.image)
    except Exception:  # noqa: BLE001 - docker.errors.ImageNotFound and friends: one line with the fix
        raise UserError(f"image {args.image!r} not found; build it: docker build -f docker/eval/Dockerfile"
                        f"{'.cpu' if args.image.endswith('cpu') else ''} -t {args.image} .") from None
    Path(args.out).mkdir(parents=True, exist_ok=True)
    container = client.containers.run(**container_spec(args, suites, backend))
    try:
        for chunk in container.logs(stream=True, follow=True):
            print(chunk.decode(errors="replace"), end="", flush=True)
        code = int(container.wait().get("StatusCode", 1))
    finally:
        container.remove(force=True)
    return code
