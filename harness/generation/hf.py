"""Transformers backend: batched sampling with left padding and a KV cache, CPU or GPU (bf16 on GPU).

Prompts are sorted by length and batched (``batch_size`` sequences = prompts x n); each prompt is prefilled
once and its KV cache repeated for its n samples (as vLLM's prefix sharing does). Sampling is temperature +
nucleus (top-k disabled), the paper's evaluation setting, from a generator seeded per batch; results come back
in the input order. ``tests/generation`` checks greedy decoding equals ``model.generate`` one prompt at a time.

For the tiny models of the CPU study a decode step costs framework overhead and memory traffic more than
FLOPs, so (``benchmarks/generation_bench.py`` measures it):

* the KV cache is preallocated for the whole generation (``_Slab``): a step writes its token in place instead
  of ``torch.cat``-copying the cache, and attention (``decode_attention``) reads views of it under one additive
  mask built at prefill, with the query heads folded onto their KV heads (no ``repeat_kv`` copy);
* finished sequences stay in the batch, ignored, until ``COMPACT_AT`` of its rows are done (a compaction copies
  the cache);
* on CPU in float32 the linear layers run through oneDNN with packed weights for the duration of a call;
* the nucleus is cut with numpy's sort of the probabilities (values only) and drawn by inverting the CDF.

Models outside ``SLAB_MODEL_TYPES``, with sliding-window or linear-attention layers, or with attention other
than sdpa/eager keep transformers' ``DynamicCache``, 2-D mask and attention.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch
from transformers import AttentionInterface, AutoModelForCausalLM, AutoTokenizer, DynamicCache
from transformers.cache_utils import Cache, DynamicLayer
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

from harness.generation.common import Sampling, check_model_dir, render_chat, truncate_at_stop

COMPACT_AT = 0.25  # drop finished rows once this fraction of the batch is done (0: at every finish)


def _sorted_desc(x: torch.Tensor) -> torch.Tensor:
    """Row-wise values in descending order (numpy's vectorised sort on CPU is ~50x torch.sort's)."""
    if x.device.type == "cpu" and x.dtype == torch.float32:
        return torch.from_numpy(np.ascontiguousarray(np.sort(x.numpy(), axis=-1)[:, ::-1]))
    return x.sort(-1, descending=True).values


def sample_next(logits: torch.Tensor, s: Sampling, gen: torch.Generator) -> torch.Tensor:
    """One token per row: greedy at temperature 0, else temperature + top-p (smallest set with mass >= p).

    The nucleus is every token whose probability reaches the p-th cut (ties at the cut are all kept); the token
    is drawn by inverting the renormalised CDF with one uniform per row."""
    if s.temperature == 0:
        return logits.argmax(-1)
    probs = (logits.float() / s.temperature).softmax(-1)
    if s.top_p < 1.0:
        desc = _sorted_desc(probs)
        before = desc.cumsum(-1) - desc  # mass of the tokens ranked above
        k = (before < s.top_p).sum(-1, keepdim=True)  # >= 1: the top token is always kept
        probs = probs.masked_fill(probs < desc.gather(-1, k - 1), 0.0)
    cdf = probs.double().cumsum(-1)
    total = cdf[:, -1:]
    u = torch.minimum(torch.rand(total.shape, generator=gen, dtype=cdf.dtype, device=cdf.device) * total,
                      total.nextafter(torch.zeros_like(total)))  # u < total: never past the last kept token
    return torch.searchsorted(cdf, u, right=True).squeeze(-1)


class _Slab(DynamicLayer):
    """One full-attention layer's KV cache in a buffer sized for the whole generation: an update writes in
    place and ``keys``/``values`` are views of the filled part."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity, self.length = capacity, 0
        self.kbuf: torch.Tensor | None = None
        self.vbuf: torch.Tensor | None = None

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        b, h, _, d = key_states.shape
        self.device = key_states.device
        self.kbuf = key_states.new_empty((b, h, self.capacity, d))
        self.vbuf = value_states.new_empty((b, value_states.shape[1], self.capacity, value_states.shape[-1]))
        self.is_initialized = True

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        n = key_states.shape[-2]
        if self.length + n > self.capacity:
            raise RuntimeError(f"KV slab of {self.capacity} positions overflows at {self.length + n}")
        self.kbuf[:, :, self.length:self.length + n] = key_states
        self.vbuf[:, :, self.length:self.length + n] = value_states
        self.length += n
        self._views()
        return self.keys, self.values

    def _views(self) -> None:
        self.keys, self.values = self.kbuf[:, :, :self.length], self.vbuf[:, :, :self.length]

    def batch_repeat_interleave(self, repeats: int) -> None:
        if self.is_initialized:
            self.kbuf, self.vbuf = self.kbuf.repeat_interleave(repeats, 0), self.vbuf.repeat_interleave(repeats, 0)
            self._views()

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        if self.is_initialized:
            self.kbuf, self.vbuf = self.kbuf[indices], self.vbuf[indices]
            self._views()


def _onednn_linear_available() -> bool:
    ops = torch.ops.mkldnn
    return torch.backends.mkldnn.is_available() and hasattr(ops, "_linear_pointwise") and hasattr(
        ops, "_reorder_linear_weight")


@contextmanager
def onednn_linears(model) -> Iterator[int]:
    """On CPU in float32, run the model's ``nn.Linear`` layers through oneDNN with weights packed once per call
    (MKL's sgemm, which ``F.linear`` uses, is 2-3x slower at decode shapes on the CPUs measured); the model is
    left unchanged afterwards. Yields how many layers were switched (0: nothing to do here)."""
    lins = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and m.weight.dtype == torch.float32
            and m.weight.device.type == "cpu" and "forward" not in vars(m)  # not already hooked (accelerate)
            ] if _onednn_linear_available() else []
    for m in lins:
        w = torch.ops.mkldnn._reorder_linear_weight(m.weight.detach(), None)
        m.forward = lambda x, w=w, b=m.bias: torch.ops.mkldnn._linear_pointwise(x, w, b, "none", [None], "")
    try:
        yield len(lins)
    finally:
        for m in lins:
            del m.forward


DECODE_ATTENTION = "mixmerge_decode"
SLAB_MODEL_TYPES = ("qwen3", "qwen2", "llama")  # plain softmax attention: no softcap, sinks or sliding window


def decode_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    """One query token per row against the slab's views, under the additive [B, 1, 1, L] mask: the query heads
    of each KV head are folded into its query rows (no ``repeat_kv`` copy of the cache, which transformers'
    sdpa path makes whenever a mask is given in some versions)."""
    b, h, q, d = query.shape
    if q != 1 or attention_mask is None:
        return ALL_ATTENTION_FUNCTIONS["sdpa"](module, query, key, value, attention_mask,
                                              scaling=scaling, dropout=dropout, **kwargs)
    out = torch.nn.functional.scaled_dot_product_attention(
        query.reshape(b, key.shape[1], h // key.shape[1], d), key, value, attn_mask=attention_mask, scale=scaling)
    return out.reshape(b, h, 1, d).transpose(1, 2), None


AttentionInterface.register(DECODE_ATTENTION, decode_attention)


@contextmanager
def attention_as(model, name: str) -> Iterator[None]:
    """Temporarily dispatch the model's attention layers to the registered function ``name``."""
    cfg = model.config.get_text_config(decoder=True)
    before = cfg._attn_implementation
    cfg._attn_implementation = name
    try:
        yield
    finally:
        cfg._attn_implementation = before


def slab_capable(model) -> bool:
    """Full attention only, in a model whose attention is plain softmax attention (sdpa or eager): those decode
    from the preallocated cache under one additive mask with ``decode_attention``."""
    cfg = model.config.get_text_config(decoder=True)
    kinds = set(getattr(cfg, "layer_types", None) or ["full_attention"])
    return (kinds == {"full_attention"} and cfg.model_type in SLAB_MODEL_TYPES
            and model.config._attn_implementation in ("sdpa", "eager"))


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
        self.use_slab = slab_capable(self.model)
        self.fast_linear = self.device.type == "cpu"
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
            with onednn_linears(self.model) if self.fast_linear else nullcontext():
                seqs = self._decode([ids[i] for i in chunk], n, s, gen)
            texts = self.tokenizer.batch_decode(seqs, skip_special_tokens=True)
            for j, i in enumerate(chunk):
                out[i] = [truncate_at_stop(t, s.stop) for t in texts[j * n:(j + 1) * n]]
        return out

    @torch.inference_mode()
    def _decode(self, ids: list[list[int]], n: int, s: Sampling, gen: torch.Generator) -> list[list[int]]:
        """Generated token ids of len(ids) * n sequences (prompt-major), each ending at its first EOS."""
        dev, width = self.device, max(len(x) for x in ids)
        cap = width + s.max_new_tokens
        inp = torch.full((len(ids), width), self.tokenizer.pad_token_id, dtype=torch.long, device=dev)
        mask = torch.zeros((len(ids), cap), dtype=torch.bool, device=dev)  # True: a real token, prompt or generated
        for i, x in enumerate(ids):
            inp[i, width - len(x):] = torch.tensor(x, dtype=torch.long)
            mask[i, width - len(x):] = True
        mask[:, width:] = True
        pos = (mask[:, :width].long().cumsum(-1) - 1).clamp(min=0)
        n_layers = self.model.config.get_text_config(decoder=True).num_hidden_layers
        cache = Cache(layers=[_Slab(cap) for _ in range(n_layers)]) if self.use_slab else DynamicCache(config=self.model.config)
        out = self.model(input_ids=inp, attention_mask=mask[:, :width], position_ids=pos, past_key_values=cache,
                         use_cache=True, logits_to_keep=1)
        if n > 1:
            cache.batch_repeat_interleave(n)
        logits = out.logits[:, -1].repeat_interleave(n, 0)
        mask, nxt = mask.repeat_interleave(n, 0), pos[:, -1:].repeat_interleave(n, 0) + 1
        if self.use_slab:  # additive, shared by every layer and step: columns past the prompt are never padding
            mask = torch.zeros(mask.shape, dtype=self.model.dtype, device=dev).masked_fill_(
                ~mask, torch.finfo(self.model.dtype).min)[:, None, None, :]
        with attention_as(self.model, DECODE_ATTENTION) if self.use_slab else nullcontext():
            steps = self._steps(cache, logits, mask, nxt, width, s, gen)
        seqs: list[list[int]] = [[] for _ in range(len(ids) * n)]
        for r, t in steps:
            for i, x in zip(r.tolist(), t.tolist(), strict=True):
                seqs[i].append(x)
        return seqs

    def _steps(self, cache, logits, mask, nxt, width: int, s: Sampling, gen: torch.Generator):
        """The decode loop: (rows, tokens) per step, rows being the original sequence of each token."""
        dev = logits.device
        rows = torch.arange(len(logits), device=dev)  # original sequence of each live row
        live = torch.ones(len(rows), dtype=torch.bool, device=dev)  # row still generating (finished: kept, ignored)
        left = len(rows)
        steps: list[tuple[torch.Tensor, torch.Tensor]] = []
        for step in range(s.max_new_tokens):
            if s.ignore_eos:
                logits[:, self.eos] = float("-inf")
            tok = sample_next(logits, s, gen)
            steps.append((rows, tok) if left == len(rows) else (rows[live], tok[live]))
            if step == s.max_new_tokens - 1:
                break
            if not s.ignore_eos:
                live &= ~torch.isin(tok, self.eos)
                left = int(live.sum())
                if left == 0:
                    break
                if left < len(live) and len(live) - left >= COMPACT_AT * len(live):
                    keep = live.nonzero().squeeze(-1)
                    cache.batch_select_indices(keep)
                    mask, nxt, rows, tok, live = mask[keep], nxt[keep], rows[keep], tok[keep], live[keep]
            cur = width + step + 1
            out = self.model(input_ids=tok[:, None], attention_mask=mask[..., :cur], position_ids=nxt,
                             past_key_values=cache, use_cache=True)
            logits, nxt = out.logits[:, -1], nxt + 1
        return steps
