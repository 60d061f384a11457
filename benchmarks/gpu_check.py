"""GPU check: what of the paper path runs on this machine's accelerator, in at most ~10 minutes on one GPU.

    python benchmarks/gpu_check.py                   # on a GPU machine (or `nox -s gpu`)
    python benchmarks/gpu_check.py --device cpu      # dry mode: the same code paths, one step, on CPU
    python benchmarks/gpu_check.py --require-gpu     # exit 2 at once when no CUDA device is visible

Parts, each timed and reported as ``ok``, ``FAILED`` (with the error) or ``skipped`` (with the reason):

* ``cuda``      — the device, its memory, a bf16 matmul checked against float32.
* ``grpo``      — a few local GRPO steps (TRL, ``harness.train.stages.run_grpo``, the micro recipe's math domain)
  on a micro model built on the fly with ``harness.model.build`` (random init; no download). Needs trl.
* ``hf-bf16``   — the transformers generation backend loading that model in bfloat16 and sampling from it.
* ``vllm``      — the vLLM backend on the same model, where vllm is installed and a GPU is present.
* ``openrlhf``  — the pinned OpenRLHF image (``docker/openrlhf``) seeing the GPU, where docker and the image exist.

It needs only torch, transformers and the project's code (plus trl for ``grpo``), sets the Hugging Face
libraries offline and downloads nothing. Exit status: 0 when every part that could run passed (skips are
fine: they are printed with their reason), 1 when a part that ran failed, 2 with ``--require-gpu`` and no
CUDA device. The last line is one JSON object with every part (``--json PATH`` writes it to a file too).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is fetched: the model is built here
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
_NLTK = Path(__file__).resolve().parents[1] / ".." / "shared" / "external" / "nltk_data"
if _NLTK.exists():
    os.environ.setdefault("NLTK_DATA", str(_NLTK.resolve()))

import torch  # noqa: E402 - after the offline switches

BUDGET_S = 600.0


class Skip(Exception):
    """A part that cannot run here; its message is the reason."""


def part_cuda(ctx: dict) -> str:
    if ctx["device"] != "cuda":
        raise Skip(ctx["no_gpu"])
    p = torch.cuda.get_device_properties(0)
    a = torch.randn(1024, 1024, device="cuda")
    b = torch.randn(1024, 1024, device="cuda")
    err = ((a.bfloat16() @ b.bfloat16()).float() - a @ b).abs().max().item()
    if not err < 1.0:
        raise AssertionError(f"bf16 matmul differs from float32 by {err}")
    return f"{p.name}, {p.total_memory / 2**30:.0f} GiB, torch {torch.__version__} CUDA {torch.version.cuda}"


def build_micro(work: Path) -> Path:
    """The micro model's shape from the micro recipe, randomly initialised (harness.model.build)."""
    from domains.registry import micro_corpus
    from harness.model.build import make_qwen3, save_model_dir, train_tokenizer
    from harness.recipe import load_recipe

    cfg = load_recipe("micro").base.micro
    tok = train_tokenizer(micro_corpus(0, 500), vocab_size=cfg.vocab_size)
    return save_model_dir(make_qwen3(tok, seed=0, **cfg.model_dump()), tok, work / "micro-init")


def part_grpo(ctx: dict) -> str:
    if importlib.util.find_spec("trl") is None:
        raise Skip("trl is not installed (pip install trl): the local GRPO trainer is TRL's")
    from harness.recipe import load_recipe
    from harness.train.stages import run_grpo

    steps = ctx["steps"]
    recipe = load_recipe("micro")
    recipe = recipe.with_grpo_steps(steps)
    out = ctx["work"] / "grpo"
    res = run_grpo(recipe, "math", ctx["model"], out, 0)
    logs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    if len(logs) != steps:
        raise AssertionError(f"{len(logs)} logged steps, expected {steps}")
    want = "cuda" if ctx["device"] == "cuda" else "cpu"
    if want == "cuda" and res["device"].startswith("cpu"):
        raise AssertionError(f"GRPO ran on {res['device']}, not the GPU")
    if not (out / "model" / "config.json").exists():
        raise AssertionError("no trained model saved")
    g = recipe.grpo_for("math")
    return (f"{steps} steps x {g.prompts_per_step * g.group_size} completions on {res['device']}, "
            f"reward {logs[-1].get('reward', float('nan')):.3f}, {res['wall_seconds']} s")


def _prompts() -> list[list[dict]]:
    return [[{"role": "user", "content": "What is 2 + 3?"}], [{"role": "user", "content": "Name a prime."}]]


def _params(tokens: int):
    from harness.generation.common import Sampling

    return Sampling(temperature=1.0, top_p=1.0, max_new_tokens=tokens, stop=())


def part_hf_bf16(ctx: dict) -> str:
    from harness.generation import get_generator

    gen = get_generator("transformers", str(ctx["model"]), device=ctx["device"], dtype="bfloat16")
    if gen.model.dtype != torch.bfloat16 or gen.model.device.type != ctx["device"]:
        raise AssertionError(f"model on {gen.model.device} in {gen.model.dtype}")
    tokens = 64 if ctx["device"] == "cuda" else 8
    t0 = time.perf_counter()
    out = gen.generate(_prompts(), 4, _params(tokens), seed=0)
    dt = time.perf_counter() - t0
    if [len(o) for o in out] != [4, 4]:
        raise AssertionError(f"completions per prompt: {[len(o) for o in out]}")
    return f"bf16 on {ctx['device']}: 8 completions of <= {tokens} tokens in {dt:.2f} s"


def part_vllm(ctx: dict) -> str:
    if importlib.util.find_spec("vllm") is None:
        raise Skip("vllm is not installed here (the GPU eval image or `nox -s vllm` has it)")
    if ctx["device"] != "cuda":
        raise Skip(ctx["no_gpu"] + " (the CPU build is tested by `nox -s vllm`)")
    from harness.generation import get_generator

    gen = get_generator("vllm", str(ctx["model"]), dtype="bfloat16")
    t0 = time.perf_counter()
    out = gen.generate(_prompts(), 4, _params(64), seed=0)
    if [len(o) for o in out] != [4, 4]:
        raise AssertionError(f"completions per prompt: {[len(o) for o in out]}")
    return f"8 completions in {time.perf_counter() - t0:.2f} s"


def part_openrlhf(ctx: dict) -> str:
    from harness.train.openrlhf.pinned import IMAGE

    image = os.environ.get("MIXMERGE_OPENRLHF_IMAGE", IMAGE)
    if ctx["device"] != "cuda":
        raise Skip(ctx["no_gpu"])
    try:
        import docker
    except ImportError:
        raise Skip("the docker SDK is not installed") from None
    try:
        client = docker.from_env()
        client.ping()
    except Exception as e:  # noqa: BLE001 - any engine problem is a reason to skip, named
        raise Skip(f"no docker engine reachable ({type(e).__name__})") from None
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise Skip(f"image {image} not built (docker/openrlhf/README.md)") from None
    cmd = ["docker", "run", "--rm", "--gpus", "1", image, "python", "-c",
           "import torch, openrlhf; assert torch.cuda.is_available(); print(openrlhf.__version__ if hasattr(openrlhf, "
           "'__version__') else 'openrlhf', torch.cuda.get_device_name(0))"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode:
        raise AssertionError(f"{' '.join(cmd[:6])} … exited {r.returncode}: {r.stderr.strip()[-300:]}")
    return r.stdout.strip()


PARTS = [("cuda", part_cuda), ("grpo", part_grpo), ("hf-bf16", part_hf_bf16), ("vllm", part_vllm),
         ("openrlhf", part_openrlhf)]


def run(device: str, steps: int, budget_s: float, parts: list[str] | None = None, keep: bool = False) -> list[dict]:
    """Every part in order, each one dict: part, status, seconds, detail."""
    no_gpu = "no CUDA device visible" if not torch.cuda.is_available() else f"--device {device} (dry mode)"
    work = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    ctx = {"device": device, "steps": steps, "work": work, "no_gpu": no_gpu}
    try:
        return _run_parts(ctx, budget_s, parts)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _run_parts(ctx: dict, budget_s: float, parts: list[str] | None) -> list[dict]:
    t_start = t0 = time.perf_counter()
    ctx["model"] = build_micro(ctx["work"])
    rows = [{"part": "micro-model", "status": "ok", "seconds": round(time.perf_counter() - t0, 2),
             "detail": f"random init of the micro recipe's shape (harness.model.build) in {ctx['work']}"}]
    for name, fn in PARTS:
        if parts and name not in parts:
            continue
        t0 = time.perf_counter()
        if t0 - t_start > budget_s:
            rows.append({"part": name, "status": "skipped", "seconds": 0.0, "detail": f"time budget {budget_s:.0f} s spent"})
            continue
        try:
            status, detail = "ok", fn(ctx)
        except Skip as s:
            status, detail = "skipped", str(s)
        except Exception as e:  # noqa: BLE001 - a failed part is reported and the others still run
            status, detail = "FAILED", f"{type(e).__name__}: {e}"
            traceback.print_exc()
        rows.append({"part": name, "status": status, "seconds": round(time.perf_counter() - t0, 2), "detail": detail})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("cuda", "cpu"), help="default: cuda when visible, else cpu (dry mode)")
    ap.add_argument("--steps", type=int, help="GRPO steps (default 3 on cuda, 1 on cpu)")
    ap.add_argument("--require-gpu", action="store_true", help="exit 2 when no CUDA device is visible")
    ap.add_argument("--budget-s", type=float, default=BUDGET_S, help="parts not started by then are skipped")
    ap.add_argument("--parts", nargs="+", choices=[p for p, _ in PARTS], help="run only these")
    ap.add_argument("--json", type=Path, help="also write the result here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (micro model, GRPO output)")
    args = ap.parse_args(argv)
    if args.require_gpu and not torch.cuda.is_available():
        print("no CUDA device visible (--require-gpu): nothing run", file=sys.stderr)
        return 2
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        print("--device cuda but no CUDA device is visible; use --device cpu for the dry mode", file=sys.stderr)
        return 2
    steps = args.steps or (3 if device == "cuda" else 1)
    t0 = time.perf_counter()
    rows = run(device, steps, args.budget_s, args.parts, keep=args.keep)
    total = round(time.perf_counter() - t0, 1)
    print(f"\n{'part':<12} {'status':<8} {'s':>7}  detail")
    for r in rows:
        print(f"{r['part']:<12} {r['status']:<8} {r['seconds']:>7.1f}  {r['detail']}")
    failed = [r["part"] for r in rows if r["status"] == "FAILED"]
    result = {"device": device, "total_s": total, "failed": failed, "parts": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
