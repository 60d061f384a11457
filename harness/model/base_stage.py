"""The ``base`` stage: the model every variant starts from.

- Paper-style recipes name a hub id or local path (``base.model``): it is resolved, loaded with
  transformers and saved as this stage's HF model directory (same code after loading).
- The micro recipe builds one honestly: a byte-level BPE tokenizer trained on the project's own synthetic
  corpus from the domains (``domains.registry.micro_corpus``), a Qwen3-architecture causal LM sized by
  ``base.micro``, pretrained briefly on that corpus with TRL's SFTTrainer (plain causal-LM on text).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

from harness.errors import UserError
from harness.model.build import make_qwen3, save_model_dir, train_tokenizer
from harness.pipeline.context import StageContext
from harness.recipe import MicroModel

log = logging.getLogger("mixmerge.base")


def micro_corpus(seed: int, n: int) -> list[str]:
    from domains.registry import micro_corpus as corpus

    return corpus(seed, n)


def pretrain(model, tokenizer, texts: list[str], cfg: MicroModel, seed: int, out: Path) -> dict:
    """Brief causal-LM pretraining with TRL's SFTTrainer on plain text (loss on every token)."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    args = SFTConfig(
        output_dir=str(out / "trainer"), max_steps=cfg.pretrain_steps, per_device_train_batch_size=cfg.pretrain_batch_size,
        learning_rate=cfg.pretrain_lr, lr_scheduler_type="cosine", warmup_steps=max(1, cfg.pretrain_steps // 20),
        weight_decay=0.01, logging_steps=max(1, cfg.pretrain_steps // 10), save_strategy="no", report_to=[],
        bf16=False, use_cpu=not torch.cuda.is_available(), seed=seed, data_seed=seed, dataset_text_field="text",
        max_length=cfg.pretrain_max_length, packing=False, activation_checkpointing=False,
        dataloader_num_workers=0, disable_tqdm=False,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_dict({"text": texts}),
                         processing_class=tokenizer)
    result = trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {"train_loss": result.training_loss, "first_loss": losses[0] if losses else None,
            "last_loss": losses[-1] if losses else None}


def build_micro_base(cfg: MicroModel, seed: int, out: Path) -> dict:
    set_seed(seed)
    texts = micro_corpus(seed, cfg.corpus_texts)
    t0 = time.time()
    tokenizer = train_tokenizer(texts, vocab_size=cfg.vocab_size)
    model = make_qwen3(tokenizer, seed=seed, **cfg.model_dump())
    n_params = sum(p.numel() for p in model.parameters())
    log.info("micro base: %d parameters, vocab %d, %d corpus texts", n_params, len(tokenizer), len(texts))
    stats = pretrain(model, tokenizer, texts, cfg, seed, out)
    model_dir = save_model_dir(model, tokenizer, out / "model")
    (out / "trainer").exists() and __import__("shutil").rmtree(out / "trainer")
    return {"parameters": n_params, "vocab_size": len(tokenizer), "corpus_texts": len(texts),
            "pretrain": stats, "pretrain_seconds": round(time.time() - t0, 2), "model_dir": str(model_dir.name)}


def resolve_base(model: str, revision: str | None, out: Path) -> dict:
    """Load a hub id or local path and save it as this stage's model directory."""
    try:
        tok = AutoTokenizer.from_pretrained(model, revision=revision)
        m = AutoModelForCausalLM.from_pretrained(model, revision=revision, dtype="auto")
    except (OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"base.model {model!r} could not be loaded (no local copy and no hub access?): {first}") from None
    save_model_dir(m, tok, out / "model")
    return {"source": model, "revision": revision, "parameters": sum(p.numel() for p in m.parameters())}


def base_stage(ctx: StageContext) -> dict:
    b = ctx.recipe.base
    info = resolve_base(b.model, b.revision, ctx.out) if b.model else build_micro_base(b.micro, ctx.seed, ctx.out)
    (ctx.out / "base_info.json").write_text(json.dumps(info, indent=2))
    return {"base": info}
