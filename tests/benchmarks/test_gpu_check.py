"""benchmarks/gpu_check.py on a CPU machine: the dry mode runs every part that can run here (one GRPO step,
the transformers backend in bf16) and reports each GPU part as skipped with its reason; the exit codes."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="the dry mode's skips are what a CPU machine reports")
def test_dry_mode_runs_the_cpu_parts_and_names_every_skip(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--json", str(tmp_path / "r.json")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    res = json.loads((tmp_path / "r.json").read_text())
    assert json.loads(r.stdout.strip().splitlines()[-1]) == res
    parts = {p["part"]: p for p in res["parts"]}
    assert list(parts) == ["micro-model", "cuda", "grpo", "hf-bf16", "vllm", "openrlhf"]
    assert parts["grpo"]["status"] == "ok" and parts["grpo"]["detail"].startswith("1 steps x ")
    assert "on cpu" in parts["grpo"]["detail"]
    assert parts["hf-bf16"]["status"] == "ok" and "bf16 on cpu" in parts["hf-bf16"]["detail"]
    for gpu_part in ("cuda", "openrlhf"):
        assert parts[gpu_part]["status"] == "skipped" and parts[gpu_part]["detail"] == "no CUDA device visible"
    assert parts["vllm"]["status"] == "skipped" and parts["vllm"]["detail"]
    assert res["failed"] == [] and all(p["seconds"] >= 0 for p in res["parts"])
    assert not Path(parts["micro-model"]["detail"].split()[-1]).exists(), "work directory left behind"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_require_gpu_exits_2_without_one():
    r = subprocess.run([sys.executable, str(SCRIPT), "--require-gpu"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no CUDA device visible" in r.stderr


def test_a_failing_part_exits_1_and_the_others_still_run(monkeypatch, capsys):
    mod = _module()

    def broken(ctx):
        raise RuntimeError("deliberately broken")

    monkeypatch.setattr(mod, "PARTS", [("cuda", mod.part_cuda), ("hf-bf16", broken), ("vllm", mod.part_vllm)])
    rc = mod.main(["--device", "cpu"])
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rc == 1 and res["failed"] == ["hf-bf16"]
    assert [p["part"] for p in res["parts"]] == ["micro-model", "cuda", "hf-bf16", "vllm"]
    assert "deliberately broken" in res["parts"][2]["detail"]


def test_parts_past_the_budget_are_skipped_with_the_reason(capsys):
    mod = _module()
    assert mod.main(["--device", "cpu", "--budget-s", "0", "--parts", "hf-bf16"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["parts"][-1] == {"part": "hf-bf16", "status": "skipped", "seconds": 0.0,
                                "detail": "time budget 0 s spent"}
