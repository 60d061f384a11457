"""Policy neighbourhood: token-level KL between every pair of policies on the same prompts, next to accuracy.

For each ordered pair (a, b): sample completions from policy a on the prompts (temperature ``temperature``,
seeded), score every completion token with both a and b (transformers forward passes, full next-token
distributions), and average the exact per-position KL(π_a ‖ π_b) = Σ_v π_a(v|ctx) log(π_a/π_b) over a's
completion tokens. Both directions are reported: KL(a‖b) on a's samples, KL(b‖a) on b's samples.
Only two models are in memory at a time.

Accuracy (per model, per suite, from eval ``samples.jsonl``) and its transfer (change against a reference
model, e.g. the SFT model) are reported beside the KLs: the paper's point is that transfer follows the
policy neighbourhood better than the KL's size alone.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from domains.loaders import iter_jsonl_lines
from harness.analysis.samples import accuracy, find_samples, read_samples
from harness.errors import UserError
from harness.merge.checks import check_compatible


def load_prompts(path: Path, limit: int | None = None) -> list:
    """Prompts from a JSONL file (an eval ``samples.jsonl`` or examples): ``messages`` or ``prompt`` per line,
    de-duplicated by id in file order."""
    seen, prompts = set(), []
    for n, row in iter_jsonl_lines(path):
        key = row.get("id", n)
        if key in seen:
            continue
        seen.add(key)
        p = row.get("messages") or row.get("prompt")
        if not p:
            raise UserError(f"{path}:{n}: no 'messages' or 'prompt'")
        prompts.append(p)
        if limit and len(prompts) >= limit:
            break
    return prompts


def _render(tok, prompt) -> str:
    if isinstance(prompt, list):
        return tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
    return str(prompt)


def _load(path: Path):
    """float32 on CPU; bfloat16 on a GPU (the sequences stay on the model's device)."""
    cuda = torch.cuda.is_available()
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16 if cuda else torch.float32)
    return model.to("cuda" if cuda else "cpu").eval()


@torch.no_grad()
def sample(model, tok, prompts: list, *, n: int, max_new_tokens: int, temperature: float, seed: int,
           batch_size: int = 8) -> list[dict]:
    """Batches of {input_ids, attention_mask, completion_mask} (left-padded prompts + sampled completions)."""
    tok.padding_side = "left"
    texts = [_render(tok, p) for p in prompts]
    torch.manual_seed(seed)
    out = []
    for start in range(0, len(texts), batch_size):
        enc = tok(texts[start:start + batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
        enc = {k: v.to(model.device) for k, v in enc.items()}
        seqs = model.generate(**enc, do_sample=True, temperature=temperature, top_p=1.0, top_k=0,
                              max_new_tokens=max_new_tokens, num_return_sequences=n,
                              pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
        plen = enc["input_ids"].shape[1]
        comp = seqs[:, plen:]
        is_eos = comp == tok.eos_token_id
        after_eos = (is_eos.cumsum(1) - is_eos.long()) > 0  # tokens after the first EOS are padding
        cmask = ~after_eos
        attn = torch.cat([enc["attention_mask"].repeat_interleave(n, 0), cmask.long()], 1)
        out.append({"input_ids": seqs, "attention_mask": attn, "prompt_len": plen, "completion_mask": cmask})
    return out


def _logprobs(model, batch: dict) -> torch.Tensor:
    attn = batch["attention_mask"]
    pos = (attn.cumsum(1) - 1).clamp(min=0)
    logits = model(input_ids=batch["input_ids"], attention_mask=attn, position_ids=pos).logits
    plen = batch["prompt_len"]
    return torch.log_softmax(logits[:, plen - 1:-1].float(), -1)  # distributions for completion tokens


@torch.no_grad()
def kl_on_samples(model_a, model_b, batches: list[dict]) -> tuple[float, int]:
    """Mean over a's completion tokens of KL(π_a ‖ π_b) at each position (exact over the vocabulary)."""
    total, count = 0.0, 0
    for b in batches:
        la, lb = _logprobs(model_a, b), _logprobs(model_b, b)
        kl = (la.exp() * (la - lb)).sum(-1)
        m = b["completion_mask"]
        total += kl[m].double().sum().item()
        count += int(m.sum())
    return (total / count if count else float("nan")), count


def analyze_policy(models: dict[str, Path], prompts: list, out: Path | None = None, *, n: int = 2,
                   max_new_tokens: int = 64, temperature: float = 1.0, seed: int = 0,
                   eval_dirs: dict[str, Path] | None = None, suites: list[str] | None = None,
                   reference: str | None = None, plots: bool = True) -> dict:
    if len(models) < 2:
        raise UserError("policy analysis compares policies: give at least two models")
    if not prompts:
        raise UserError("no prompts to sample from")
    t0 = time.time()
    names = list(models)
    check_compatible(models[names[0]], [models[x] for x in names[1:]])
    tok = AutoTokenizer.from_pretrained(models[names[0]])
    kl: dict[tuple[str, str], tuple[float, int]] = {}
    for a in names:
        model_a = _load(models[a])
        batches = sample(model_a, tok, prompts, n=n, max_new_tokens=max_new_tokens, temperature=temperature,
                         seed=seed)
        for b in names:
            if b != a:
                model_b = _load(models[b])
                kl[(a, b)] = kl_on_samples(model_a, model_b, batches)
                del model_b
        del model_a
    acc = {}
    if eval_dirs and suites:
        for m, d in eval_dirs.items():
            acc[m] = {s: accuracy(read_samples(find_samples(d, s))) for s in suites}
    ref = acc.get(reference) if reference else None
    transfer = {m: {s: v - ref[s] for s, v in row.items()} for m, row in acc.items()} if ref else {}
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            row = {"a": a, "b": b, "kl_ab": kl[(a, b)][0], "kl_ba": kl[(b, a)][0],
                   "tokens_a": kl[(a, b)][1], "tokens_b": kl[(b, a)][1]}
            if a in acc and b in acc:
                row["accuracy_gap"] = sum(abs(acc[a][s] - acc[b][s]) for s in acc[a]) / len(acc[a])
            pairs.append(row)
    result = {"models": {k: str(v) for k, v in models.items()}, "prompts": len(prompts), "samples_per_prompt": n,
              "max_new_tokens": max_new_tokens, "temperature": temperature, "seed": seed, "pairs": pairs,
              "accuracy": acc, "reference": reference, "transfer": transfer,
              "wall_seconds": round(time.time() - t0, 3)}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "policy.json").write_text(json.dumps(result, indent=2))
        with open(out / "policy_pairs.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["a", "b", "kl_ab", "kl_ba", "tokens_a", "tokens_b", "accuracy_gap"])
            w.writeheader()
            w.writerows(pairs)
        if plots:
            from harness.analysis.plots import heatmap

            directed = [{"a": a, "b": b, "kl": v[0]} for (a, b), v in kl.items()]
            heatmap(names, directed, "kl", out / "kl.png", diagonal=0.0, symmetric=False,
                    title="KL(row ‖ column) on row's samples")
    return result
