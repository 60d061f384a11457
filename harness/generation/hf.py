"""Transformers backend: batched sampling with left padding and a KV cache, CPU or GPU (bf16 on GPU).

All n samples of all prompts are expanded into one list of sequences, sorted by prompt length (so a batch
wastes little padding) and generated ``batch_size`` at a time; results come back in the input order.
Sampling is plain temperature + nucleus (top-k disabled), the paper's evaluation setting.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from harness.generation.common import Sampling, check_model_dir, render_chat, truncate_at_stop


class TransformersGenerator:
    name = "transformers"

    def __init__(self, model: str | Path, *, device: str | None = None, dtype: str | None = None,
                 batch_size: int = 256, **_: object) -> None:
        path = check_model_dir(model)
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        torch_dtype = getattr(torch, dtype) if dtype else (torch.bfloat16 if self.device.type == "cuda" else torch.float32)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype).to(self.device).eval()
        self.batch_size = max(1, int(batch_size))
        eos = self.model.generation_config.eos_token_id
        eos = eos if isinstance(eos, list) else [eos] if eos is not None else []
        if self.tokenizer.eos_token_id is not None and self.tokenizer.eos_token_id not in eos:
            eos.append(self.tokenizer.eos_token_id)
        self.eos_ids = eos

    def _kwargs(self, s: Sampling) -> dict:
        kw: dict = {"max_new_tokens": s.max_new_tokens, "pad_token_id": self.tokenizer.pad_token_id,
                    "eos_token_id": self.eos_ids, "top_k": 0}
        if s.temperature > 0:
            kw.update(do_sample=True, temperature=s.temperature, top_p=s.top_p)
        else:
            kw.update(do_sample=False, temperature=None, top_p=None)
        if s.ignore_eos:
            kw["min_new_tokens"] = s.max_new_tokens
        return kw

    @torch.inference_mode()
    def generate(self, prompts: list[list[dict]], n: int, params, seed: int = 0) -> list[list[str]]:
        s = Sampling.of(params)
        ids = [render_chat(self.tokenizer, m) for m in prompts]
        jobs = [(i, j) for i in range(len(ids)) for j in range(n)]
        jobs.sort(key=lambda ij: (-len(ids[ij[0]]), ij))
        out: list[list[str]] = [[""] * n for _ in prompts]
        kw = self._kwargs(s)
        for b, start in enumerate(range(0, len(jobs), self.batch_size)):
            chunk = jobs[start:start + self.batch_size]
            batch = self.tokenizer.pad({"input_ids": [ids[i] for i, _ in chunk]}, return_tensors="pt").to(self.device)
            torch.manual_seed(seed * 1_000_003 + b)
            gen = self.model.generate(**batch, **kw)[:, batch["input_ids"].shape[1]:]
            texts = self.tokenizer.batch_decode(gen, skip_special_tokens=True)
            for (i, j), t in zip(chunk, texts, strict=True):
                out[i][j] = truncate_at_stop(t, s.stop)
        return out
