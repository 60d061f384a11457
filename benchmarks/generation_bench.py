"""Generation throughput on CPU: batched transformers backend vs vLLM-CPU vs a naive one-prompt-at-a-time
``model.generate`` loop, measured side by side in one run (rounds interleaved, median reported).

Workload (issue 12): 64 micro-suite prompts (16 each of math, code, if, general) x 4 samples x 64 new tokens
(EOS ignored, so every method generates exactly the same number of tokens), temperature 1.0, top-p 0.7, on a
~2.5 M-parameter Qwen3 built from scratch. The naive loop calls ``generate`` once per prompt with
``num_return_sequences=4`` (already batching the samples of one prompt: the stricter baseline).

    .nox/vllm/bin/python benchmarks/generation_bench.py            # all three (vLLM from its own venv)
    .venv/bin/python benchmarks/generation_bench.py --no-vllm      # main venv: transformers vs naive

Prints one JSON line per round and a summary with tokens/s and the ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")

import torch  # noqa: E402

from domains.registry import get_suite  # noqa: E402
from harness.generation import Sampling, get_generator  # noqa: E402
from harness.model.build import tiny_model_dir  # noqa: E402

ARCH = dict(vocab_size=512, hidden_size=256, intermediate_size=832, num_hidden_layers=3, num_attention_heads=8,
            num_key_value_heads=2, head_dim=32, max_position_embeddings=512)


def prompts(n: int) -> list[list[dict]]:
    names = ["micro-math", "micro-code", "micro-if", "micro-general"]
    per = n // len(names)
    return [ex["messages"] for s in names for ex in get_suite(s).load(None)[:per]]


def naive(gen, ps, n, s: Sampling, seed: int) -> None:
    tok, model = gen.tokenizer, gen.model
    torch.manual_seed(seed)
    with torch.inference_mode():
        for m in ps:
            ids = tok.apply_chat_template(m, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            out = model.generate(**ids, do_sample=True, temperature=s.temperature, top_p=s.top_p, top_k=0,
                                 max_new_tokens=s.max_new_tokens, min_new_tokens=s.max_new_tokens,
                                 num_return_sequences=n, pad_token_id=tok.pad_token_id)
            tok.batch_decode(out[:, ids["input_ids"].shape[1]:], skip_special_tokens=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-vllm", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the summary here")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ps = prompts(a.prompts)
        texts = [m[-1]["content"] for m in ps]
        model = tiny_model_dir(Path(tmp) / "m", seed=0, texts=texts * 4, **ARCH)
        s = Sampling(temperature=1.0, top_p=0.7, max_new_tokens=a.tokens, ignore_eos=True)
        hf = get_generator("transformers", str(model))
        params = sum(p.numel() for p in hf.model.parameters())
        methods = {"naive": lambda r, ps=ps: naive(hf, ps, a.samples, s, r),
                   "transformers": lambda r, ps=ps: hf.generate(ps, a.samples, s, seed=r)}
        use_vllm = not a.no_vllm and importlib.util.find_spec("vllm") is not None
        if use_vllm:
            t = time.perf_counter()
            vl = get_generator("vllm", str(model))
            print(json.dumps({"vllm_startup_s": round(time.perf_counter() - t, 2)}), flush=True)
            methods["vllm"] = lambda r, ps=ps: vl.generate(ps, a.samples, s, seed=r)
        for fn in methods.values():  # warm-up on a few prompts (allocator, kernels), not timed
            fn(99, ps=ps[:4])
        times: dict[str, list[float]] = {k: [] for k in methods}
        for r in range(a.rounds):
            for name, fn in methods.items():
                t = time.perf_counter()
                fn(r)
                times[name].append(time.perf_counter() - t)
                print(json.dumps({"round": r, "method": name, "seconds": round(times[name][-1], 3)}), flush=True)
    tokens = a.prompts * a.samples * a.tokens
    med = {k: statistics.median(v) for k, v in times.items()}
    summary = {
        "workload": f"{a.prompts} prompts x {a.samples} samples x {a.tokens} tokens = {tokens} tokens",
        "model_params": params, "threads": torch.get_num_threads(), "rounds": a.rounds,
        "median_s": {k: round(v, 3) for k, v in med.items()},
        "tokens_per_s": {k: round(tokens / v, 1) for k, v in med.items()},
        "transformers_vs_naive": round(med["naive"] / med["transformers"], 2),
    }
    if "vllm" in med:
        summary["vllm_vs_naive"] = round(med["naive"] / med["vllm"], 2)
        summary["vllm_vs_transformers"] = round(med["transformers"] / med["vllm"], 2)
    print(json.dumps(summary, indent=1))
    if a.json:
        a.json.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
