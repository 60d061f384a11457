"""A pipeline training stage (``sft``, ``rl-<domain>``, ``rl-multi``) whose recipe section says ``backend: openrlhf``.

The stage writes what ``mixmerge train --backend openrlhf`` writes (``launch.plan`` + ``launch.prepare``: data,
reward file + config, ``launch.sh``) into ``runs/<recipe>/openrlhf/<stage>/`` — a stable folder, so OpenRLHF's own
checkpoints (``--ckpt.load_enable``) let a re-run after a crash resume mid-stage — runs the pinned image through the
docker SDK, streams every line OpenRLHF prints into the stage log, and moves the final Hugging Face checkpoint into
the stage's ``model/`` (one ``os.replace`` on the run store's filesystem; the runner then commits the stage
atomically, as every model stage). The manifest gets GPUs x wall seconds and the tokens the run generated and
trained, summed from OpenRLHF's per-step log lines (``✨ Global step N: {...}``: ``rollout/num_samples`` samples of
``rollout/response_length_mean`` generated tokens and ``total_length`` prompt+response tokens on average).

A missing image, no GPU or a failed launch stop the stage with one line naming what to do and the stage log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field

from harness.errors import UserError
from harness.pipeline.context import StageContext
from harness.train.openrlhf import launch as L
from harness.train.openrlhf import pinned

STEP_LINE = re.compile(r"Global step (\d+): (\{.*\})")


def _metric(text: str, key: str) -> float | None:
    m = re.search(rf"'{re.escape(key)}': ([-+0-9.eE]+|nan|inf)", text)
    try:
        return float(m.group(1)) if m else None
    except ValueError:
        return None


@dataclass
class LogTally:
    """What OpenRLHF's stdout says about the run, line by line."""

    steps: int = 0
    generated_tokens: float = 0.0
    trained_tokens: float = 0.0
    samples: float = 0.0
    last: dict = field(default_factory=dict)

    def feed(self, line: str) -> None:
        m = STEP_LINE.search(line)
        if not m:
            return
        text = m.group(2)
        n = _metric(text, "rollout/num_samples") or 0.0
        gen = _metric(text, "rollout/response_length_mean")
        tot = _metric(text, "total_length")
        self.steps = max(self.steps, int(m.group(1)))
        self.samples += n
        if gen is not None:
            self.generated_tokens += gen * n
        if tot is not None:
            self.trained_tokens += tot * n
        self.last = {k: v for k in ("rollout/reward_mean", "policy_loss") if (v := _metric(text, k)) is not None}

    def summary(self) -> dict:
        return {"steps_logged": self.steps, "samples": int(self.samples),
                "generated_tokens": int(round(self.generated_tokens)),
                "trained_tokens": int(round(self.trained_tokens)) if self.trained_tokens else None,
                "last_step": self.last}


def _client(where: str):
    from harness.sandbox.docker_backend import docker_client

    try:
        return docker_client()
    except UserError:
        raise UserError(f"{where}: no Docker engine answers; the OpenRLHF backend runs in the image "
                        f"{pinned.IMAGE}: start Docker (or export DOCKER_HOST) and re-run") from None


def check_image(client, image: str, where: str) -> None:
    import docker

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise UserError(f"{where}: image {image} not found: build it with "
                        f"`docker build -f docker/openrlhf/Dockerfile -t {image} .` on every GPU node") from None


def check_gpu(where: str) -> None:
    smi = shutil.which("nvidia-smi")
    if smi is None or subprocess.run([smi, "-L"], capture_output=True).returncode != 0:
        raise UserError(f"{where}: no NVIDIA GPU here (nvidia-smi {'failed' if smi else 'not found'}): the "
                        "OpenRLHF backend needs GPUs; run on a GPU node (or `--executor ray` on a GPU cluster), "
                        "or set the section's backend: local")


def container_kwargs(launch: L.Launch, gpus: bool) -> dict:
    """``containers.run`` keywords equal to ``launch.docker_argv`` (the printed ``docker run`` line)."""
    import docker

    volumes = {}
    for host, inside in launch.volumes.items():
        bind, _, mode = inside.partition(":")
        volumes[host] = {"bind": bind, "mode": mode or "rw"}
    env = dict(launch.env)
    env.update({k: os.environ[k] for k in L.PASSED_BY_NAME if k in os.environ})
    kw = {"volumes": volumes, "environment": env, "working_dir": str(launch.run_root), "ipc_mode": "host",
          "network_mode": "host", "labels": {"org.mixmerge.role": "openrlhf", "org.mixmerge.stage": launch.stage}}
    if gpus:  # pinned host memory for NCCL / CUDA (an unprivileged CPU-only engine may refuse the rlimits)
        kw["device_requests"] = [gpu_request()]
        kw["ulimits"] = [docker.types.Ulimit(name="memlock", soft=-1, hard=-1),
                         docker.types.Ulimit(name="stack", soft=67108864, hard=67108864)]
    return kw


def gpu_request():
    """Every GPU of the node, or only those Ray gave this task (a Ray worker sees them in CUDA_VISIBLE_DEVICES)."""
    import docker

    ids = [i for i in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if i.strip()]
    if ids:
        return docker.types.DeviceRequest(device_ids=ids, capabilities=[["gpu"]])
    return docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])


def run_launch(ctx: StageContext, launch: L.Launch, client, *, gpus: bool = True, user: str | None = None) -> dict:
    """Write the launch's files, run it, stream its output into the stage log, move its model into the stage."""
    where = f"stage {ctx.name}"
    logfile = ctx.log_file or "the stage log"
    L.prepare(launch, ctx.recipe)
    if launch.output_dir.exists():  # a previous attempt's final model: this run writes its own
        shutil.rmtree(launch.output_dir)
    ctx.log.info("openrlhf launch (also in %s):\n%s", launch.workdir / "launch.sh", L.format_plan(launch))
    tally = LogTally()
    t0 = time.time()
    import docker

    try:
        container = client.containers.run(launch.image, launch.python_argv, detach=True, user=user,
                                          **container_kwargs(launch, gpus))
    except docker.errors.APIError as e:
        why = (e.explanation or str(e)).strip().splitlines()[0]
        raise UserError(f"{where}: the engine could not start {launch.image}: {why}; see {logfile}") from None
    try:
        buf = b""
        for chunk in container.logs(stream=True, follow=True):
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r")
                tally.feed(line)
                ctx.log.info("openrlhf | %s", line)
        if buf:
            tally.feed(buf.decode(errors="replace"))
            ctx.log.info("openrlhf | %s", buf.decode(errors="replace"))
        rc = int(container.wait().get("StatusCode", 1))
    finally:
        container.remove(force=True)
    wall = time.time() - t0
    if rc != 0:
        raise UserError(f"{where}: OpenRLHF exited with {rc}; its output is in {logfile}; fix the cause and re-run "
                        f"(it resumes from {launch.workdir / 'ckpt'})")
    if not (launch.output_dir / "config.json").exists():
        raise UserError(f"{where}: OpenRLHF exited 0 but wrote no model to {launch.output_dir}; see {logfile}")
    os.replace(launch.output_dir, ctx.out / "model")
    for name in ("launch.sh", "reward_config.json"):
        if (launch.workdir / name).exists():
            shutil.copyfile(launch.workdir / name, ctx.out / name)
    world = launch.nodes * launch.gpus
    return {"backend": "openrlhf", "openrlhf": pinned.OPENRLHF_VERSION, "image": launch.image,
            "device": f"{world} GPUs ({launch.nodes} node(s) x {launch.gpus})", "gpus": world,
            "wall_seconds": round(wall, 3), "device_seconds": round(wall * world, 3),
            "tokens": tally.summary(), "workdir": str(launch.workdir)}


def openrlhf_stage(ctx: StageContext, kind: str) -> dict:
    """``kind`` is ``sft`` or ``grpo``; the stage's upstream model is its ``base`` / ``sft`` input."""
    up = "base" if kind == "sft" else "sft"
    launch = L.plan(ctx.recipe, kind, ctx.name, ctx.run_root, {up: ctx.inputs[up]})
    where = f"stage {ctx.name} (backend openrlhf; log {ctx.log_file})"
    client = _client(where)
    check_image(client, launch.image, where)
    check_gpu(where)
    return run_launch(ctx, launch, client, gpus=True)
