"""`mixmerge eval --isolate docker` for real: the CPU eval image (built, or reused when its source hash matches),
a tiny Qwen3 on disk, the CLI. The isolated run must give what the same command gives un-isolated (same samples,
same Avg@K); the model mount must be read-only, the container without network, not root, and gone afterwards.
Without an engine (or when the image cannot be built) these tests skip with one line; under CI=true they fail."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from need import need

from harness.errors import UserError
from harness.model.build import tiny_model_dir

IMAGE = os.environ.get("MIXMERGE_EVAL_IMAGE", "mixmerge-eval:cpu")
ARGS = ["--suites", "micro-math,micro-code", "--limit", "4", "--k", "2"]
LABEL = "org.mixmerge.role=eval"
# what may differ between the two runs: where the model was, timings, the interpreter and the git checkout
PROVENANCE = {"model_path", "wall_s", "generation_s", "scoring_s", "versions"}
PROBE = r"""
import errno, json, os
from harness.sandbox import Limits, get_sandbox
from harness.sandbox.checks import HumanEvalCheck, check_many
r = {"uid": os.getuid()}
for path in ("/model/pwned", "/model/config.json"):
    try:
        open(path, "a").close()
        r[path] = "written"
    except OSError as e:
        r[path] = errno.errorcode[e.errno]
r["model_mount"] = [ln.split()[5] for ln in open("/proc/self/mountinfo") if ln.split()[4] == "/model"]
r["interfaces"] = sorted(os.listdir("/sys/class/net"))
r["routes"] = open("/proc/net/route").read().splitlines()[1:]
open("/out/probe.txt", "w").write("x")
test = "def check(candidate):\n    assert candidate(2, 3) == 5\n"
with get_sandbox("bwrap", limits=Limits(timeout_s=5), workers=1) as sb:
    good, bad = check_many(sb, [HumanEvalCheck("def add(a, b):\n    return a + b\n", test, "add"),
                                HumanEvalCheck("def add(a, b):\n    return a - b\n", test, "add")])
r["sandbox"] = [good.passed, bad.passed]
print("PROBE " + json.dumps(r))
"""


def mixmerge(*argv: str, timeout: int = 900) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("mixmerge")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "harness.cli"]
    return subprocess.run([*cmd, *argv], capture_output=True, text=True, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mixmerge eval: error: "), proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def client():
    from harness.sandbox.docker_backend import docker_client, engine_error

    why = engine_error()
    need(why and f"a Docker engine for --isolate docker: {why}")
    return docker_client()


@pytest.fixture(scope="module")
def image(client) -> str:
    from harness.eval.isolate import build_cpu_image

    try:
        build_cpu_image(IMAGE, say=lambda m: print(f"eval-image: {m}"))
    except UserError as e:
        need(f"the CPU eval image {IMAGE}: {e}")
    return IMAGE


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    d = tiny_model_dir(tmp_path_factory.mktemp("isolate") / "tiny", seed=0, hidden_size=64, head_dim=32)
    return Path(d)


def readable(model: Path) -> Path:
    for p in [model, *model.rglob("*")]:
        p.chmod(p.stat().st_mode | (0o005 if p.is_dir() else 0o004))
    return model


class Watcher:
    """Inspects every eval container while it exists (the engine forgets a removed one)."""

    def __init__(self, client):
        self.client, self.seen, self.stop = client, {}, threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        while not self.stop.is_set():
            for c in self.client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True):
                self.seen.setdefault(c.id, c.attrs)
            time.sleep(0.1)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def load(out: Path, suite: str) -> tuple[dict, list[dict]]:
    d = out / "tiny" / suite
    return (json.loads((d / "results.json").read_text()),
            [json.loads(line) for line in (d / "samples.jsonl").read_text().splitlines()])


@pytest.mark.engine
@pytest.mark.slow
def test_isolated_eval_equals_local_and_is_contained(client, image, model, tmp_path):
    model = readable(model)
    iso, local = tmp_path / "iso", tmp_path / "local"
    since = int(time.time()) - 1
    with Watcher(client) as w:
        proc = mixmerge("eval", "--model", str(model), *ARGS, "--isolate", "docker", "--image", image,
                        "--out", str(iso))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # the container: read-only model, results mounted out, no network, not root, removed afterwards
    assert len(w.seen) == 1, list(w.seen)
    cid, attrs = next(iter(w.seen.items()))
    mounts = {m["Destination"]: m for m in attrs["Mounts"]}
    assert mounts["/model"]["Source"] == str(model.resolve()) and mounts["/model"]["RW"] is False
    assert mounts["/out"]["Source"] == str(iso.resolve()) and mounts["/out"]["RW"] is True
    assert attrs["HostConfig"]["NetworkMode"] == "none"
    assert attrs["Config"]["User"].split(":")[0] not in ("", "0", "root")
    events = client.events(since=since, until=int(time.time()) + 1, decode=True,
                           filters={"type": "container", "label": LABEL})
    assert "destroy" in [e["Action"] for e in events if e.get("id") == cid]
    assert client.containers.list(all=True, filters={"id": cid}, ignore_removed=True) == []

    # the same command, un-isolated
    proc = mixmerge("eval", "--model", str(model), *ARGS, "--out", str(local))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for suite in ("micro-math", "micro-code"):
        (ri, si), (rl, sl) = load(iso, suite), load(local, suite)
        assert ri["metrics"] == rl["metrics"] and ri["complete"] is True
        assert {k: v for k, v in ri.items() if k not in PROVENANCE} == {k: v for k, v in rl.items() if k not in PROVENANCE}
        for pkg in ("torch", "transformers", "mixmerge"):  # the image holds this environment's versions
            assert ri["versions"][pkg] == rl["versions"][pkg]
        assert ri["model_path"] == "/model" and rl["model_path"] == str(model)
        assert len(si) == 4 * 2 and any(s["completion"] for s in si)
        assert si == sl  # every completion, verdict and detail, sample for sample
    assert not (model / "pwned").exists()


@pytest.mark.engine
@pytest.mark.slow
def test_probe_in_the_same_container_spec(client, image, model, tmp_path):
    """The spec a code-suite evaluation gets, running a probe instead of `mixmerge eval`."""
    from harness.eval import cli
    from harness.eval.isolate import _start, container_spec

    # everyone may write the copy's files: only the read-only mount can refuse the probe
    wide = Path(shutil.copytree(model, tmp_path / "tiny"))
    for f in [wide, *wide.iterdir()]:
        f.chmod(0o777 if f.is_dir() else 0o666)
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    args = p.parse_args(["--model", str(wide), *ARGS, "--isolate", "docker", "--image", image,
                         "--out", str(tmp_path / "out")])
    spec = {**container_spec(args, ["micro-math", "micro-code"], "transformers"),
            "entrypoint": ["python", "-c", PROBE], "command": []}
    (tmp_path / "out").mkdir(mode=0o777)
    (tmp_path / "out").chmod(0o777)  # the container runs as nobody when the caller is root
    container = _start(client, spec)
    try:
        code = container.wait(timeout=300)["StatusCode"]
        logs = container.logs().decode(errors="replace")
    finally:
        container.remove(force=True)
    assert code == 0, logs[-3000:]
    r = json.loads(next(ln for ln in logs.splitlines() if ln.startswith("PROBE "))[6:])
    assert r["/model/pwned"] == "EROFS" and r["/model/config.json"] == "EROFS"
    assert r["model_mount"][0].split(",")[0] == "ro"
    assert r["interfaces"] == ["lo"] and r["routes"] == []
    assert r["uid"] != 0
    assert r["sandbox"] == [True, False]  # code suites: bubblewrap runs programs inside the container
    assert (tmp_path / "out" / "probe.txt").read_text() == "x"


def test_bad_model_is_one_line(tmp_path):
    (tmp_path / "notamodel").mkdir()
    line = one_line_error(mixmerge("eval", "--model", str(tmp_path / "notamodel"), *ARGS, "--isolate", "docker",
                                   "--out", str(tmp_path / "o")))
    assert "not a Hugging Face model directory" in line
    line = one_line_error(mixmerge("eval", "--model", str(tmp_path / "missing"), *ARGS, "--isolate", "docker"))
    assert "not a Hugging Face model directory" in line


@pytest.mark.skipif(os.getuid() != 0, reason="only root's containers run as nobody")
def test_root_with_unreadable_model_is_one_line(tmp_path):
    model = Path(tiny_model_dir(tmp_path / "tiny", seed=0, hidden_size=64, head_dim=32))
    (model / "model.safetensors").chmod(0o600)
    line = one_line_error(mixmerge("eval", "--model", str(model), *ARGS, "--isolate", "docker"))
    assert "model.safetensors is not readable by others" in line and "chmod -R o+rX" in line


def test_model_linking_out_of_its_directory_is_one_line(model, tmp_path):
    snap = tmp_path / "snapshot"  # the layout of a Hugging Face cache snapshot: files link to ../blobs
    (tmp_path / "blobs").mkdir()
    snap.mkdir()
    for f in model.iterdir():
        shutil.copy(f, tmp_path / "blobs" / f.name)
        (snap / f.name).symlink_to(Path("..") / "blobs" / f.name)
    line = one_line_error(mixmerge("eval", "--model", str(snap), *ARGS, "--isolate", "docker"))
    assert "links out of the directory" in line and f"cp -rL {snap}" in line


@pytest.mark.engine
def test_missing_image_names_the_build_command(client, model, tmp_path):
    line = one_line_error(mixmerge("eval", "--model", str(readable(model)), *ARGS, "--isolate", "docker",
                                   "--image", "mixmerge-eval:absent-cpu", "--out", str(tmp_path / "o")))
    assert line.endswith("build it: bash docker/eval/build-cpu.sh --image mixmerge-eval:absent-cpu")
    line = one_line_error(mixmerge("eval", "--model", str(model), *ARGS, "--isolate", "docker",
                                   "--image", "mixmerge-eval:absent-gpu", "--backend", "vllm"))
    assert line.endswith("docker build -f docker/eval/Dockerfile -t mixmerge-eval:absent-gpu .")
