"""Pipeline stage functions of the local (TRL) backend: ``sft``, ``rl-<domain>`` / ``rl-multi``, ``opd-multi``.

Each writes an HF model directory at ``ctx.out/"model"``, ``metrics.jsonl`` and TensorBoard events (``tb/``), and
returns ``{"device_seconds", "metrics", ...}`` for the stage manifest. Device seconds are measured: CPU seconds of
this process and its reaped children on CPU (what the cores actually spent), wall seconds x 1 GPU on CUDA.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

from harness.errors import UserError, unknown
from harness.ledger import CountingSandbox, TokenLedger, param_count
from harness.pipeline.context import StageContext
from harness.recipe import DOMAINS, GRPOStage, Recipe
from harness.train import data
from harness.train.logging_cb import MetricsLogger

log = logging.getLogger("mixmerge.train")


class DeviceClock:
    def __init__(self):
        self.wall0 = time.perf_counter()
        self.cpu0 = self._cpu()

    @staticmethod
    def _cpu() -> float:
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + ch.ru_utime + ch.ru_stime

    def stop(self) -> dict:
        wall = time.perf_counter() - self.wall0
        if torch.cuda.is_available():
            return {"device_seconds": round(wall, 2), "device": torch.cuda.get_device_name(0), "wall_seconds": round(wall, 2)}
        return {"device_seconds": round(self._cpu() - self.cpu0, 2), "device": f"cpu x{torch.get_num_threads()}",
                "wall_seconds": round(wall, 2)}


def load_model(path: Path):
    path = Path(path)
    if not (path / "config.json").exists():
        raise UserError(f"{path}: not an HF model directory (no config.json); run the upstream stage first")
    tok = AutoTokenizer.from_pretrained(path)
    tok.padding_side = "left"
    dtype = torch.bfloat16 if torch.cuda.is_available() and _is_large(path) else torch.float32
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    if model.generation_config.eos_token_id is None:
        model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    if torch.cuda.is_available():
        model = model.to("cuda")
    return model, tok


def _is_large(path: Path) -> bool:
    return sum(f.stat().st_size for f in path.glob("*.safetensors")) > 1 << 30


def save(trainer, tok, out: Path) -> Path:
    dest = Path(out) / "model"
    model = trainer.accelerator.unwrap_model(trainer.model)
    model.save_pretrained(dest, safe_serialization=True)
    tok.save_pretrained(dest)
    return dest


@contextmanager
def _scratch(out: Path):
    """TRL's output_dir (trainer state) lives in a scratch folder removed afterwards: the stage keeps only its files."""
    scratch = Path(out) / "_trainer"
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _finish(trainer, tok, out: Path, logger: MetricsLogger, clock: DeviceClock, extra: dict | None = None) -> dict:
    save(trainer, tok, out)
    res = {**clock.stop(), "metrics": logger.summary(), **(extra or {})}
    log.info("saved %s (%s device-s)", Path(out) / "model", res["device_seconds"])
    return res


# ---- SFT ------------------------------------------------------------------------------------------------------------
def build_sft_trainer(recipe: Recipe, model, tok, out: Path, seed: int, callbacks: list | None = None):
    """TRL SFTTrainer on the blend; ``assistant_only_loss`` uses the chat template's ``{% generation %}`` span."""
    from trl import SFTTrainer

    from harness.train.configs import sft_args

    ds = data.sft_dataset(recipe, seed)
    return SFTTrainer(model=model, args=sft_args(out, recipe.sft, seed=seed), train_dataset=ds,
                      processing_class=tok, callbacks=callbacks or [])


def run_sft(recipe: Recipe, base_dir: Path, out: Path, seed: int) -> dict:
    clock = DeviceClock()
    set_seed(seed)
    model, tok = load_model(base_dir)
    logger = MetricsLogger(out)
    with _scratch(out) as scratch:
        trainer = build_sft_trainer(recipe, model, tok, scratch, seed, [logger])
        ds = trainer.train_dataset
        trainer.train()
        ledger = TokenLedger(param_count(trainer.model))
        ledger.add_trained(trainer._total_train_tokens)  # TRL's own count: attention-mask tokens of every batch
        return _finish(trainer, tok, out, logger, clock, {"examples": len(ds), "compute_ledger": ledger.record()})


def _openrlhf(ctx: StageContext) -> bool:
    """Whether the stage's recipe section names ``backend: openrlhf`` (then it runs in the pinned image)."""
    from harness.train.cli import backend_of

    return backend_of(ctx.recipe, ctx.name) == "openrlhf"


def sft_stage(ctx: StageContext) -> dict:
    if _openrlhf(ctx):
        from harness.train.openrlhf.stage import openrlhf_stage

        return openrlhf_stage(ctx, "sft")
    return run_sft(ctx.recipe, ctx.model_dir("base"), ctx.out, ctx.seed)


# ---- GRPO -----------------------------------------------------------------------------------------------------------
def grpo_settings(recipe: Recipe, param: str) -> tuple[GRPOStage, dict[str, float]]:
    """(settings, mix) for ``rl-<domain>`` or ``rl-multi``."""
    if param == "multi":
        return recipe.rl_multi, dict(recipe.rl_multi.mix)
    if param not in DOMAINS:
        raise unknown("RL domain", param, [*DOMAINS, "multi"])
    return recipe.grpo_for(param), {param: 1.0}


@contextmanager
def open_sandbox(recipe: Recipe, needed: bool):
    if not needed:
        yield None
        return
    try:
        from harness.sandbox import Limits, get_sandbox
    except ImportError as e:
        raise UserError(f"code rewards need the sandbox (harness.sandbox): {e}") from None
    sec = recipe.sandbox
    sb = get_sandbox(sec.backend, Limits.from_section(sec), sec.workers, sec.image)
    try:
        yield CountingSandbox(sb)  # the ledger's sandbox_programs
    finally:
        close = getattr(sb, "close", None)
        if close:
            close()


def run_grpo(recipe: Recipe, param: str, sft_dir: Path, out: Path, seed: int, *, rollout: str = "decoder") -> dict:
    from harness.train.grpo import build_grpo_trainer
    from harness.train.rewards import RoutedReward

    g, mix = grpo_settings(recipe, param)
    clock = DeviceClock()
    set_seed(seed)
    model, tok = load_model(sft_dir)
    ds = data.rl_dataset(recipe, mix, steps=g.steps, per_step=g.prompts_per_step, seed=seed)
    domains = sorted(d for d, w in mix.items() if w > 0)
    logger = MetricsLogger(out, domains)
    verify = data.verifier()
    workers = recipe.sandbox.workers or os.cpu_count() or 1
    with open_sandbox(recipe, "code" in domains) as sb, _scratch(out) as scratch:
        reward = RoutedReward(verify, sandbox=sb, workers=workers, think_gate=g.think_gate,
                              max_infra_share=recipe.sandbox.max_infra_failure_share)
        trainer = build_grpo_trainer(model, tok, ds, g, reward, out=scratch, seed=seed, shuffle=False,
                                     callbacks=[logger], rollout=rollout)
        trainer.train()
        trainer.ledger.sandbox_programs = sb.programs if sb is not None else 0
        return _finish(trainer, tok, out, logger, clock, {"domains": domains, "reward_seconds": round(reward.seconds, 2),
                                                          "infra_failed": reward.infra_failed,
                                                          "infra_retried": reward.infra_retried,
                                                          "compute_ledger": trainer.ledger.record(), "rollout": rollout})


def grpo_stage(ctx: StageContext) -> dict:
    if _openrlhf(ctx):
        from harness.train.openrlhf.stage import openrlhf_stage

        return openrlhf_stage(ctx, "grpo")
    return run_grpo(ctx.recipe, ctx.param or "multi", ctx.model_dir("sft"), ctx.out, ctx.seed)


# ---- MT-OPD ---------------------------------------------------------------------------------------------------------
def run_opd(recipe: Recipe, sft_dir: Path, teacher_dirs: dict[str, Path], out: Path, seed: int) -> dict:
    from harness.train.configs import opd_args
    from harness.train.opd import MultiTeacherDistillationTrainer

    o = recipe.opd
    mix = {d: w for d, w in o.mix.items() if w > 0}
    missing = sorted(set(mix) - set(teacher_dirs))
    if missing:
        raise UserError(f"opd.mix names {missing} but no teacher model is given for them (rl-<domain> stages)")
    clock = DeviceClock()
    set_seed(seed)
    model, tok = load_model(sft_dir)
    teachers = {d: load_model(teacher_dirs[d])[0].eval() for d in sorted(mix)}
    for t in teachers.values():
        t.requires_grad_(False)
    # samples_per_prompt on-policy samples of each prompt: the prompt is repeated (DistillationTrainer samples n=1)
    stream = data.rl_stream(recipe, mix, steps=o.steps, per_step=o.prompts_per_step, seed=seed)
    rows = [data.rl_row(e) for e in stream for _ in range(o.samples_per_prompt)]
    from datasets import Dataset

    logger = MetricsLogger(out)
    with _scratch(out) as scratch:
        trainer = MultiTeacherDistillationTrainer(model=model, teachers=teachers, args=opd_args(scratch, o, seed=seed),
                                                  train_dataset=Dataset.from_list(rows), processing_class=tok,
                                                  callbacks=[logger])
        trainer.train()
        return _finish(trainer, tok, out, logger, clock, {"teachers": sorted(teachers),
                                                          "compute_ledger": trainer.ledger.record()})


def opd_stage(ctx: StageContext) -> dict:
    from harness.train.opd_placement import check_cuda

    teachers = {d: ctx.model_dir(f"rl-{d}") for d in DOMAINS if f"rl-{d}" in ctx.inputs}
    where = check_cuda(ctx.model_dir("sft"), [teachers[d] for d in sorted(teachers) if ctx.recipe.opd.mix.get(d)])
    if where:
        ctx.log.info("%s", where)
    return run_opd(ctx.recipe, ctx.model_dir("sft"), teachers, ctx.out, ctx.seed)
