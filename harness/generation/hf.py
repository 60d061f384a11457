"""Transformers backend: batched sampling with left padding and a KV cache, CPU or GPU (bf16 on GPU).

Prompts are sorted by length and batched (``batch_size`` sequences = prompts x n); each prompt is prefilled
once and its KV cache repeated for its n samples (as vLLM's prefix sharing does); sequences that finish
leave the batch (the cache rows are dropped), so late steps only pay for live sequences. Sampling is
temperature + nucleus (top-k disabled), the paper's evaluation setting, from a generator seeded per batch;
results come back in the input order. ``tests/generation`` checks greedy decoding equals
``model.generate`` one prompt at a time.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, DynamicCache

from harness.generation.common import Sampling, check_model_dir, render_chat, truncate_at_stop


def sample_next(logits: torch.Tensor, s: Sampling, gen: torch.Generator) -> torch.Tensor:
    """One token per row: greedy at temperature 0, else temperature + top-p (smallest set with mass >= p)."""
    if s.temperature == 0:
        return logits.argmax(-1)
    logits = logits / s.temperature
    if s.top_p < 1.0:
        sorted_logits, idx = logits.sort(-1, descending=True)
        probs = sorted_logits.softmax(-1)
        before = probs.cumsum(-1) - probs  # mass of the tokens ranked above
        sorted_logits = sorted_logits.masked_fill(before >= s.top_p, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, idx, sorted_logits)
    return torch.multinomial(logits.softmax(-1), 1, generator=gen).squeeze(-1)


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
        eos = list(eos) if isinstance(eos, list) else [eos] if eos is not None else []
        if self.tokenizer.eos_token_id is not None and self.tokenizer.eos_token_id not in eos:
            eos.append(self.tokenizer.eos_token_id)
        self.eos = torch.tensor(eos, dtype=torch.long, device=self.device)

    def generate(self, prompts: list[list[dict]], n: int, params, seed: int = 0) -> list[list[str]]:
        s = Sampling.of(params)
        ids = [render_chat(self.tokenizer, m) for m in prompts]
        order = sorted(range(len(ids)), key=lambda i: (-len(ids[i]), i))
        per_batch = max(1, self.batch_size // max(1, n))
        out: list[list[str]] = [[] for _ in prompts]
        for b, start in enumerate(range(0, len(order), per_batch)):
            chunk = order[start:start + per_batch]
            gen = torch.Generator(device=self.device).manual_seed(seed * 1_000_003 + b)
            seqs = self._decode([ids[i] for i in chunk], n, s, gen)
            texts = self.tokenizer.batch_decode(seqs, skip_special_tokens=True)
            for j, i in enumerate(chunk):
                out[i] = [truncate_at_stop(t, s.stop) for t in texts[j * n:(j + 1) * n]]
        return out

    @torch.inference_mode()
    def _decode(self, ids: list[list[int]], n: int, s: Sampling, gen: torch.Generator) -> list[list[int]]:
        """Generated token ids of len(ids) * n sequences (prompt-major), each ending at its first EOS."""
        dev, width = self.device, max(len(x) for x in ids)
        inp = torch.full((len(ids), width), self.tokenizer.pad_token_id, dtype=torch.long, device=dev)
        mask = torch.zeros((len(ids), width), dtype=torch.long, device=dev)
        for i, x in enumerate(ids):
            inp[i, width - len(x):] = torch.tensor(x, dtype=torch.long)
            mask[i, width - len(x):] = 1
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache(config=self.model.config)
        out = self.model(input_ids=inp, attention_mask=mask, position_ids=pos, past_key_values=cache,
                         use_cache=True, logits_to_keep=1)
        if n > 1:
            cache.batch_repeat_interleave(n)
        logits = out.logits[:, -1].float().repeat_interleave(n, 0)
        mask, nxt = mask.repeat_interleave(n, 0), pos[:, -1:].repeat_interleave(n, 0) + 1
        rows = torch.arange(len(ids) * n, device=dev)  # original sequence of each live row
        steps: list[tuple[torch.Tensor, torch.Tensor]] = []
        for step in range(s.max_new_tokens):
            if s.ignore_eos:
                logits[:, self.eos] = float("-inf")
            tok = sample_next(logits, s, gen)
            steps.append((rows, tok))
            if step == s.max_new_tokens - 1:
                break
            done = torch.isin(tok, self.eos)
            if done.any():
                keep = (~done).nonzero().squeeze(-1)
                if keep.numel() == 0:
                    break
                cache.batch_select_indices(keep)
                mask, nxt, rows, tok = mask[keep], nxt[keep], rows[keep], tok[keep]
            mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
            out = self.model(input_ids=tok[:, None], attention_mask=mask, position_ids=nxt, past_key_values=cache,
                             use_cache=True)
            logits, nxt = out.logits[:, -1].float(), nxt + 1
        seqs: list[list[int]] = [[] for _ in range(len(ids) * n)]
        for r, t in steps:
            for i, x in zip(r.tolist(), t.tolist(), strict=True):
                seqs[i].append(x)
        return seqs
