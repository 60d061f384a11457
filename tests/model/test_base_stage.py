from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from harness.model.base_stage import build_micro_base
from harness.recipe import MicroModel

TINY = MicroModel(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  num_key_value_heads=1, head_dim=16, vocab_size=320, pretrain_steps=4, pretrain_batch_size=8,
                  corpus_texts=300, pretrain_max_length=96)


def test_micro_base_loads_generates_and_learned(tmp_path):
    info = build_micro_base(TINY, seed=0, out=tmp_path)
    model_dir = tmp_path / "model"
    for f in ("config.json", "model.safetensors", "tokenizer.json", "generation_config.json"):
        assert (model_dir / f).exists(), f
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    assert model.config.model_type == "qwen3"
    prompt = tok.apply_chat_template([{"role": "user", "content": "Compute 2+3."}], tokenize=False,
                                     add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")
    ids = tok(prompt, return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=8, do_sample=False)
    assert out.shape[1] > ids.input_ids.shape[1]
    # digits are single tokens (arithmetic stays learnable)
    assert tok.tokenize("12345") == list("12345")
    assert info["pretrain"]["last_loss"] < info["pretrain"]["first_loss"]


def test_same_recipe_and_seed_give_identical_weights(tmp_path):
    build_micro_base(TINY, seed=3, out=tmp_path / "a")
    build_micro_base(TINY, seed=3, out=tmp_path / "b")
    a = load_file(tmp_path / "a/model/model.safetensors")
    b = load_file(tmp_path / "b/model/model.safetensors")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert Path(tmp_path / "a/model/tokenizer.json").read_text() == Path(tmp_path / "b/model/tokenizer.json").read_text()
