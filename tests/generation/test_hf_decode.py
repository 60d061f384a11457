"""The transformers backend's fast decode path (harness/generation/hf.py) against plain transformers."""

import pytest
import torch

from harness.generation import Sampling
from harness.generation import hf as hfmod
from harness.generation.hf import TransformersGenerator, decode_attention, onednn_linears, sample_next

PROMPTS = [[{"role": "user", "content": f"Compute {i}+{i * 7} and say why, step {i}."}] for i in range(6)]
GREEDY = Sampling(temperature=0.0, max_new_tokens=12)


@pytest.fixture(scope="module")
def gen(tiny_model):
    g = TransformersGenerator(tiny_model, batch_size=64)
    torch.manual_seed(1)  # larger random weights: the default init's greedy output repeats one token
    with torch.no_grad():
        for p in g.model.parameters():
            if p.dim() > 1:
                p.normal_(0, 0.3)
    return g


@pytest.fixture
def early_eos(gen):
    """Tokens the greedy rows emit early count as EOS, so the sequences of a batch finish at different steps."""
    before = gen.eos
    gen.eos = torch.tensor([-1])
    free = gen._decode([hfmod.render_chat(gen.tokenizer, p) for p in PROMPTS], 1, GREEDY, torch.Generator())
    gen.eos = torch.tensor(sorted({free[i][i + 1] for i in range(4)}))
    yield gen.eos.tolist()
    gen.eos = before


def naive(gen, eos, max_new_tokens=12):
    tok, model = gen.tokenizer, gen.model
    out = []
    for p in PROMPTS:
        ids = tok.apply_chat_template(p, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        seq = model.generate(**ids, do_sample=False, max_new_tokens=max_new_tokens, eos_token_id=eos,
                             pad_token_id=tok.pad_token_id)
        out.append([tok.decode(seq[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)])
    return out


@pytest.mark.parametrize("compact_at", [0.0, 0.25, 1.0])
def test_compaction_threshold_keeps_greedy_equal_to_generate(gen, early_eos, compact_at, monkeypatch):
    """Finished rows dropped at every finish (0), at a quarter (default) or only at the end (1): same text."""
    calls = []
    real = hfmod._Slab.batch_select_indices
    monkeypatch.setattr(hfmod._Slab, "batch_select_indices", lambda self, i: (calls.append(len(i)), real(self, i)))
    monkeypatch.setattr(hfmod, "COMPACT_AT", compact_at)
    ids = [hfmod.render_chat(gen.tokenizer, p) for p in PROMPTS]
    lengths = {len(x) for x in gen._decode(ids, 1, GREEDY, torch.Generator())}
    assert len(lengths) > 2  # the rows really finish at different steps
    calls.clear()
    assert gen.generate(PROMPTS, 1, GREEDY) == naive(gen, early_eos)
    n_layers = gen.model.config.num_hidden_layers
    if compact_at == 1.0:
        assert calls == []
    else:
        assert calls and len(calls) % n_layers == 0 and calls == sorted(calls, reverse=True)


def test_dynamic_cache_fallback_equals_slab(gen, early_eos, monkeypatch):
    """The path kept for models the slab does not serve (DynamicCache, 2-D mask, the model's attention)."""
    assert gen.use_slab  # the tiny Qwen3 takes the fast path
    fast = gen.generate(PROMPTS, 2, GREEDY)
    monkeypatch.setattr(gen, "use_slab", False)
    assert gen.generate(PROMPTS, 2, GREEDY) == fast
    assert fast == [[a, a] for (a,) in naive(gen, early_eos)]


def test_seeded_sampling_with_early_finishes_is_reproducible(gen, early_eos):
    s = Sampling(temperature=1.0, top_p=0.9, max_new_tokens=12)
    a = gen.generate(PROMPTS, 3, s, seed=4)
    assert gen.generate(PROMPTS, 3, s, seed=4) == a
    assert gen.generate(PROMPTS, 3, s, seed=5) != a


def test_onednn_linears_match_and_leave_the_model_unchanged():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(24, 40), torch.nn.SiLU(), torch.nn.Linear(40, 8, bias=False))
    x = torch.randn(5, 3, 24)
    with torch.inference_mode():
        ref = model(x)
        with onednn_linears(model) as switched:
            fast = model(x)
        after = model(x)
    assert switched in (0, 2)  # 0 where torch has no oneDNN linear
    assert torch.allclose(fast, ref, atol=1e-5) and torch.equal(after, ref)
    assert not any("forward" in vars(m) for m in model.modules())


def test_decode_attention_equals_sdpa_with_repeated_kv():
    torch.manual_seed(0)
    b, h, hkv, length, d = 5, 8, 2, 9, 16
    q, k, v = torch.randn(b, h, 1, d), torch.randn(b, hkv, length, d), torch.randn(b, hkv, length, d)
    pad = torch.zeros(b, 1, 1, length)
    pad[1, ..., :3] = torch.finfo(torch.float32).min  # a left-padded row
    module = type("Attn", (), {"num_key_value_groups": h // hkv})()
    out, _ = decode_attention(module, q, k, v, pad, scaling=d ** -0.5)
    ref = torch.nn.functional.scaled_dot_product_attention(
        q, k.repeat_interleave(h // hkv, 1), v.repeat_interleave(h // hkv, 1), attn_mask=pad, scale=d ** -0.5)
    assert out.shape == (b, 1, h, d)
    assert torch.allclose(out, ref.transpose(1, 2), atol=1e-6)


def test_nucleus_keeps_ties_at_the_cut_and_nothing_outside():
    logits = torch.tensor([[2.0, 1.0, 1.0, 0.0, -1.0]]).log_softmax(-1).expand(20000, 5)
    p = logits[0].exp()
    g = torch.Generator().manual_seed(0)
    # p = .52 .19 .19 .07 .03: 0.6 is reached inside the tie, so both tied tokens stay
    draws = sample_next(logits, Sampling(temperature=1.0, top_p=0.6), g)
    freq = torch.bincount(draws, minlength=5) / len(draws)
    kept = p[:3] / p[:3].sum()
    assert freq[3:].sum() == 0
    assert torch.allclose(freq[:3], kept, atol=0.015)
    full = torch.bincount(sample_next(logits, Sampling(temperature=1.0, top_p=1.0), g), minlength=5) / 20000
    assert torch.allclose(full, p, atol=0.015)
