"""What `--isolate docker` asks the engine for (the run itself needs the built docker/eval image)."""

import argparse

import pytest

from harness.errors import UserError
from harness.eval import cli
from harness.eval.isolate import container_spec


def parse(*argv):
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return p.parse_args(argv)


def test_model_read_only_results_out_no_network(tiny_model, tmp_path):
    data = tmp_path / "ifeval.jsonl"
    data.write_text("{}\n")
    args = parse("--model", str(tiny_model), "--suites", "micro-math,micro-code", "--k", "2", "--out",
                 str(tmp_path / "res"), "--data", f"ifeval={data}", "--isolate", "docker", "--image", "mixmerge-eval:cpu")
    spec = container_spec(args, ["micro-math", "micro-code"], "transformers")
    assert spec["volumes"][str(tiny_model.resolve())] == {"bind": "/model", "mode": "ro"}
    assert spec["volumes"][str((tmp_path / "res").resolve())] == {"bind": "/out", "mode": "rw"}
    assert spec["volumes"][str(data.resolve())]["mode"] == "ro"
    cmd = spec["command"]
    assert cmd[:1] == ["eval"] and cmd[cmd.index("--model") + 1] == "/model" and cmd[cmd.index("--out") + 1] == "/out"
    assert cmd[cmd.index("--model-name") + 1] == tiny_model.name and cmd[cmd.index("--k") + 1] == "2"
    assert cmd[cmd.index("--isolate") + 1] == "none"  # no recursion inside the container
    assert spec["network_mode"] == "none" and "device_requests" not in spec  # CPU image, no GPU
    assert "seccomp=unconfined" in spec["security_opt"]  # bwrap inside for the code suite


def test_gpu_image_gets_gpus_and_bad_model_is_an_error(tiny_model, tmp_path):
    args = parse("--model", str(tiny_model), "--suites", "micro-math", "--image", "mixmerge-eval:gpu")
    spec = container_spec(args, ["micro-math"], "vllm")
    assert spec["device_requests"][0].capabilities == [["gpu"]] and "security_opt" not in spec
    with pytest.raises(UserError, match="not a Hugging Face model directory"):
        container_spec(parse("--model", str(tmp_path)), ["micro-math"], "transformers")
