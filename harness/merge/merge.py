"""Run one merge through mergekit's Python API and leave a self-describing HF model directory.

The output directory holds the merged model (sharded safetensors, config, tokenizer and chat template
copied from the base), ``mergekit_config.yml`` (exactly what mergekit ran; re-runnable with
``mergekit-yaml``) and ``merge_info.json`` (method, inputs, parameters, seed, versions, time, peak RSS).
It is written to a temporary sibling and renamed into place, so a killed merge leaves nothing behind.

Two engines compute the same arithmetic (``engine``): ``mergekit`` (its Python API, tensor by tensor) and
``stream`` (``harness.merge.stream``: row blocks, each written straight to its place in the output). mergekit
holds every input tensor whole in the compute dtype plus the method's scratch (TIES argsorts each task
vector with int64 indices) and buffers an output shard, so its peak scales with the *largest tensor* times
the inputs: 2-4x one model for four Qwen3 fine-tunes. ``stream`` holds a few blocks per input and stays
within ~1.5x one model whatever the model's size. ``auto`` (the default) streams when one model's weights
exceed ``STREAM_ABOVE`` bytes and uses mergekit below that, where its peak does not matter;
``benchmarks/merge_memory.py`` measures both.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import tempfile
import time
from importlib import metadata
from pathlib import Path

import yaml

from harness.errors import UserError
from harness.merge.checks import check_compatible, load_config
from harness.merge.methods import Method, get_method, mergekit_config
from harness.merge.stream import stream_merge
from harness.recipe import MergeStage

DTYPES = ("float32", "bfloat16", "float16")
ENGINES = ("auto", "mergekit", "stream")
STREAM_ABOVE = 1 << 30  # bytes of one model's weights above which ``auto`` streams


def _check_knobs(method: Method, given: dict[str, object]) -> None:
    for knob, value in given.items():
        if value is not None and knob not in method.knobs:
            applies = ", ".join(method.knobs) or "none"
            raise UserError(f"--{knob.replace('_', '-')} does not apply to method {method.name!r} "
                            f"(mergekit {method.mergekit!r}); its settings: {applies}")


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "unknown"


_ITEM = {"F32": 4, "BF16": 2, "F16": 2, "F64": 8}


def _copy_base_files(base: Path, out: Path, out_dtype: str) -> None:
    """What mergekit writes besides the weights: the base's config (with the output dtype) and tokenizer."""
    for f in base.iterdir():
        if f.is_file() and not f.name.endswith(".safetensors") and f.name != "model.safetensors.index.json":
            shutil.copy2(f, out / f.name)
    cfg = load_config(base)
    cfg.pop("torch_dtype", None)
    cfg["dtype"] = out_dtype
    (out / "config.json").write_text(json.dumps(cfg, indent=2))


def merge(method_name: str, base: str | Path, models: list[str | Path], out: str | Path, *,
          weights: list[float] | None = None, density: float | None = None, lambda_: float | None = None,
          select_topk: float | None = None, seed: int | None = None, dtype: str | None = None,
          names: list[str] | None = None, shard_size: str = "2B", defaults: MergeStage | None = None,
          engine: str = "auto") -> dict:
    """Merge ``models`` (fine-tunes of ``base``) with one of the paper's methods; return merge_info.

    Unset settings take their defaults from ``defaults`` (a recipe's ``merge`` section; the paper's
    values when omitted). ``names`` label the models in merge_info (default: directory names).
    ``engine``: ``auto``, ``mergekit`` or ``stream`` (see the module docstring).
    """
    if engine not in ENGINES:
        raise UserError(f"engine {engine!r} not supported; use one of {', '.join(ENGINES)}")
    method = get_method(method_name)
    _check_knobs(method, {"weights": weights, "density": density, "lambda": lambda_, "select_topk": select_topk})
    d = defaults or MergeStage()
    if not models:
        raise UserError("no models to merge: give --models M1 [M2 ...]")
    weights = list(weights) if weights is not None else [1.0] * len(models)
    if len(weights) != len(models):
        raise UserError(f"{len(weights)} weights for {len(models)} models: give one weight per model, in order")
    if density is None and method.density_default:
        density = getattr(d, method.density_default)
    if density is not None and not 0.0 < density <= 1.0:
        raise UserError(f"density {density} is outside (0, 1]: it is the fraction of each task vector kept")
    lambda_ = d.lambda_ if lambda_ is None else lambda_
    select_topk = d.sce_topk if select_topk is None else select_topk
    if not 0.0 < select_topk <= 1.0:
        raise UserError(f"select_topk {select_topk} is outside (0, 1]")
    seed = d.seed if seed is None else seed
    dtype = dtype or d.dtype
    if dtype not in DTYPES:
        raise UserError(f"dtype {dtype!r} not supported; use one of {', '.join(DTYPES)}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out}: output directory exists and is not empty; choose a new --out or remove it")

    base_p, model_ps = Path(base).resolve(), [Path(m).resolve() for m in models]
    index = check_compatible(base_p, model_ps)
    bcfg = load_config(base_p)
    out_dtype = bcfg.get("dtype") or bcfg.get("torch_dtype")
    cfg = mergekit_config(method, str(base_p), [str(m) for m in model_ps], weights=weights, density=density,
                          lambda_=lambda_, select_topk=select_topk, dtype=dtype,
                          out_dtype=out_dtype if out_dtype in DTYPES else None)
    from mergekit.common import parse_kmb
    from mergekit.config import MergeConfiguration
    from mergekit.merge import MergeOptions, run_merge

    model_bytes = sum(t.numel * _ITEM.get(t.dtype, 4) for t in index.values())
    if engine == "auto":
        engine = "stream" if model_bytes > STREAM_ABOVE else "mergekit"
    try:
        shard_bytes = parse_kmb(shard_size)
    except (ValueError, TypeError):
        raise UserError(f"shard size {shard_size!r}: give bytes with an optional K/M/B suffix (e.g. 2B)") from None
    options = MergeOptions(random_seed=seed, lazy_unpickle=True, out_shard_size=shard_bytes,
                           copy_tokenizer=True, write_model_card=False, quiet=True, safe_serialization=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    t0 = time.time()
    try:
        config_yaml = yaml.safe_dump(cfg, sort_keys=False)
        if engine == "mergekit":
            run_merge(MergeConfiguration.model_validate(cfg), str(tmp), options, config_source=config_yaml)
        else:
            stream_merge(method.name, base_p, model_ps, tmp, weights=weights, density=density, lambda_=lambda_,
                         select_topk=select_topk, seed=seed, dtype=dtype, out_dtype=cfg.get("out_dtype"),
                         shard_bytes=shard_bytes)
            _copy_base_files(base_p, tmp, cfg.get("out_dtype") or dtype)
        (tmp / "mergekit_config.yml").write_text(config_yaml)
        wall = time.time() - t0
        info = {
            "method": method.name,
            "mergekit_method": method.mergekit,
            "engine": engine,
            "semantics": method.summary,
            "trimming": "per-tensor (mergekit)" if "density" in method.knobs else None,
            "base": str(base_p),
            "models": [{"name": n, "path": str(p), "weight": w if "weights" in method.knobs else None}
                       for n, p, w in zip(names or [p.name for p in model_ps], model_ps, weights, strict=True)],
            "density": density if "density" in method.knobs else None,
            "lambda": lambda_ if "lambda" in method.knobs else None,
            "select_topk": select_topk if "select_topk" in method.knobs else None,
            "seed": seed,
            "dtype": dtype,
            "out_dtype": cfg.get("out_dtype"),
            "parameters": sum(t.numel for t in index.values()),
            "largest_tensor": max(((n, t.numel) for n, t in index.items()), key=lambda x: x[1])[0],
            "shards": len(list(tmp.glob("*.safetensors"))),
            "wall_seconds": round(wall, 3),
            "peak_rss_mb_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "versions": {"mergekit": _version("mergekit"), "torch": _version("torch"),
                         "transformers": _version("transformers")},
        }
        (tmp / "merge_info.json").write_text(json.dumps(info, indent=2))
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info
