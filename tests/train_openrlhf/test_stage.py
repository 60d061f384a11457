"""A pipeline stage with ``backend: openrlhf`` on the real Docker engine of this machine (no GPU here):

- dispatch: ``rl-math`` of a recipe whose ``grpo.backend`` is openrlhf goes to the OpenRLHF stage, and a missing
  image or the missing GPU stop it with one line naming the fix and the stage log; finished stages stay;
- the run path: the launch's files are written, a stand-in "OpenRLHF" (a Python module in the sandbox image that
  reads the launch's real flags, prints OpenRLHF 0.11.2's per-step log lines and writes a model into
  ``--ckpt.output_dir``) runs through the docker SDK, its output lands in the stage log, the model is moved into the
  stage's ``model/`` and the tokens are summed from the step lines; a launch that exits non-zero fails in one line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import pytest

from harness.pipeline import stages
from harness.pipeline.context import StageContext
from harness.pipeline.runner import Runner, stage_log
from harness.recipe import Recipe
from harness.train.openrlhf import launch as L
from harness.train.openrlhf.stage import LogTally, run_launch

SANDBOX_IMAGE = "mixmerge-sandbox:latest"
PIPELINE_TESTS = Path(__file__).resolve().parents[1] / "pipeline"

# what OpenRLHF 0.11.2's PPO loop logs once per step (trainer/ppo_trainer.py: logger.info(f"✨ Global step ..."))
FAKE_OPENRLHF = '''
import json, os, sys, pathlib
argv = sys.argv[1:]
flag = lambda name: argv[argv.index(name) + 1]
rows = pathlib.Path(flag("--data.prompt_dataset")).read_text().splitlines()
print("loaded", len(rows), "prompts; reward file", flag("--reward.remote_url"), flush=True)
if os.environ.get("FAKE_FAIL"):
    print("RuntimeError: CUDA out of memory", flush=True); sys.exit(3)
n = int(flag("--rollout.batch_size")) * int(flag("--rollout.n_samples_per_prompt"))
for step in (1, 2):
    stats = {"policy_loss": -0.01 * step, "rollout/reward_mean": 0.25 * step, "rollout/response_length_mean": 10.0 * step,
             "rollout/num_samples": float(n), "total_length": 30.0 * step, "timing/generation": 0.1}
    print(f"[2026-01-01 00:00:0{step}] [INFO] \\u2728 Global step {step}: {stats}", flush=True)
out = pathlib.Path(flag("--ckpt.output_dir")); out.mkdir(parents=True)
(out / "config.json").write_text(json.dumps({"model_type": "qwen3", "fake": True}))
(out / "model.safetensors").write_bytes(b"weights")
'''


def require(ok: bool, what: str) -> None:
    """Skip here, fail in CI (tests/conftest.py's rule)."""
    if ok:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI needs {what}", pytrace=False)
    pytest.skip(f"missing: {what}")


def engine():
    try:
        from harness.sandbox.docker_backend import docker_client

        client = docker_client()
        client.images.get(SANDBOX_IMAGE)
        return client
    except Exception:  # noqa: BLE001 - no engine or no image: skip here, fail in CI
        return None


def recipe(stage_dir: str = "rl-math") -> Recipe:
    small = {"rl": 8, "sft": 8, "eval": 4}
    return Recipe(name="t", grpo={"backend": "openrlhf", "steps": 2, "prompts_per_step": 2, "group_size": 2},
                  data={d: small for d in ("math", "code", "science", "if", "general")})


@pytest.fixture
def fakes(tmp_path, monkeypatch):
    """base and sft from the pipeline tests' stand-in stages; rl keeps the real grpo_stage."""
    saved = dict(stages.KINDS)
    sys.path.insert(0, str(PIPELINE_TESTS))
    import fake_stages

    for kind in ("base", "sft"):
        stages.KINDS[kind] = dataclasses.replace(saved[kind], fn="fake_stages:fake")
    ledger = tmp_path / "ledger.txt"
    ledger.touch()
    monkeypatch.setenv("FAKE_LEDGER", str(ledger))
    yield fake_stages
    stages.KINDS.clear()
    stages.KINDS.update(saved)
    sys.path.remove(str(PIPELINE_TESTS))


@pytest.mark.engine
def test_missing_image_stops_the_stage_in_one_line_and_keeps_finished_ones(fakes, tmp_path, monkeypatch):
    require(engine() is not None, f"a Docker engine with {SANDBOX_IMAGE}")
    monkeypatch.setenv("MIXMERGE_OPENRLHF_IMAGE", "mixmerge-openrlhf:no-such-tag")
    r = Runner(recipe(), tmp_path / "runs", echo=lambda *a: None)
    out = r.run(until="rl-math")
    assert [(o.stage, o.state) for o in out] == [("base", "done"), ("sft", "done"), ("rl-math", "failed")]
    msg = out[-1].message
    assert "\n" not in msg
    assert "image mixmerge-openrlhf:no-such-tag not found" in msg and "docker build -f docker/openrlhf/Dockerfile" in msg
    log = tmp_path / "runs/t/logs/rl-math.log"
    assert str(log) in msg and "not found" in log.read_text()
    assert (tmp_path / "runs/t/sft/manifest.json").exists() and not (tmp_path / "runs/t/rl-math").exists()


@pytest.mark.engine
def test_no_gpu_stops_the_stage_in_one_line(fakes, tmp_path, monkeypatch):
    require(engine() is not None, f"a Docker engine with {SANDBOX_IMAGE}")
    monkeypatch.setenv("MIXMERGE_OPENRLHF_IMAGE", SANDBOX_IMAGE)  # an image that exists: the GPU check is next
    monkeypatch.setenv("PATH", "/nonexistent")  # no nvidia-smi, whatever this machine has
    out = Runner(recipe(), tmp_path / "runs", echo=lambda *a: None).run(until="rl-math")
    assert out[-1].state == "failed" and "\n" not in out[-1].message
    assert "no NVIDIA GPU here" in out[-1].message and "rl-math.log" in out[-1].message
    assert "backend: local" in out[-1].message


def context(tmp_path: Path, rec: Recipe, name: str) -> StageContext:
    import logging

    root = (tmp_path / "runs" / rec.name).resolve()
    sft = root / "sft"
    (sft / "model").mkdir(parents=True)
    (sft / "model" / "config.json").write_text("{}")
    out = root / ".tmp" / f"{name}.x"
    out.mkdir(parents=True)
    return StageContext(recipe=rec, name=name, kind="rl", param=name.removeprefix("rl-"), out=out,
                        inputs={"sft": sft}, run_root=root, seed=0, log=logging.getLogger(f"mixmerge.stage.{name}"),
                        log_file=root / "logs" / f"{name}.log")


def fake_launch(ctx: StageContext, stage: str) -> L.Launch:
    launch = L.plan(ctx.recipe, "grpo", stage, ctx.run_root, dict(ctx.inputs))
    (ctx.run_root / "fake_openrlhf.py").write_text(FAKE_OPENRLHF)  # the container's working dir is the run root
    i = launch.python_argv.index(launch.module)
    launch.python_argv[:i + 1] = ["python3", "-m", "fake_openrlhf"]
    launch.module = "fake_openrlhf"
    return dataclasses.replace(launch, image=SANDBOX_IMAGE)


@pytest.mark.engine
def test_launch_streams_into_the_stage_log_and_moves_the_model_into_the_stage(tmp_path):
    client = engine()
    require(client is not None, f"a Docker engine with {SANDBOX_IMAGE}")
    ctx = context(tmp_path, recipe(), "rl-math")
    launch = fake_launch(ctx, "rl-math")
    with stage_log(ctx.log_file):
        res = run_launch(ctx, launch, client, gpus=False, user="0:0")
    log = ctx.log_file.read_text()
    assert "openrlhf | loaded 4 prompts" in log  # steps 2 x 2 prompts per step, written by launch.prepare
    assert "openrlhf | [2026-01-01 00:00:02] [INFO] ✨ Global step 2:" in log
    assert json.loads((ctx.out / "model" / "config.json").read_text())["fake"] is True
    assert not launch.output_dir.exists(), "the model was copied, not moved"
    assert (ctx.out / "launch.sh").read_text().count("fake_openrlhf") == 1
    assert (launch.workdir / "prompts.jsonl").exists() and (launch.workdir / "reward_func.py").exists()
    n = 2 * 2  # prompts_per_step x group_size
    assert res["tokens"]["generated_tokens"] == n * 10 + n * 20 and res["tokens"]["trained_tokens"] == n * 30 + n * 60
    assert res["tokens"]["steps_logged"] == 2 and res["tokens"]["samples"] == 2 * n
    assert res["gpus"] == launch.nodes * launch.gpus and res["device_seconds"] == pytest.approx(
        res["wall_seconds"] * res["gpus"], rel=1e-3)
    assert res["backend"] == "openrlhf"


@pytest.mark.engine
def test_failed_launch_is_one_line_with_the_log(tmp_path):
    from harness.errors import UserError

    client = engine()
    require(client is not None, f"a Docker engine with {SANDBOX_IMAGE}")
    rec = recipe()
    ctx = context(tmp_path, rec, "rl-math")
    launch = fake_launch(ctx, "rl-math")
    launch.env["FAKE_FAIL"] = "1"
    with stage_log(ctx.log_file), pytest.raises(UserError) as e:
        run_launch(ctx, launch, client, gpus=False, user="0:0")
    assert "OpenRLHF exited with 3" in str(e.value) and str(ctx.log_file) in str(e.value) and "\n" not in str(e.value)
    assert "CUDA out of memory" in ctx.log_file.read_text()
    assert not (ctx.out / "model").exists()


def test_log_tally_reads_the_step_lines_and_ignores_the_rest():
    t = LogTally()
    for line in ["Episode [1/1]:  50%|█████     | 1/2", "✨ Global step 1: {'rollout/num_samples': 4.0, "
                 "'rollout/response_length_mean': 12.5, 'total_length': 40.0, 'policy_loss': nan}", "noise {"]:
        t.feed(line)
    assert t.summary()["generated_tokens"] == 50 and t.summary()["trained_tokens"] == 160
