from __future__ import annotations

import os
from pathlib import Path

import pytest

EXTERNAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "external"
os.environ.setdefault("NLTK_DATA", str((EXTERNAL / "nltk_data").resolve()))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from harness.model.build import train_tokenizer

    texts = [
        "Compute (3+4)*5-2. \\boxed{33} 0123456789",
        "def add(a, b):\n    return a + b\nprint(add(1, 2))",
        "Which unit measures force? A) newton B) joule C) watt D) volt Answer: \\boxed{A}",
        "Write two sentences in lowercase, no commas. the sky is blue. water is wet.",
    ] * 4
    return train_tokenizer(texts, vocab_size=300)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, tiny_tokenizer):
    """Three tiny random Qwen3 model dirs sharing one tokenizer: student, teacher_a, teacher_b."""
    from harness.model.build import make_qwen3, save_model_dir

    arch = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 1, "head_dim": 16, "max_position_embeddings": 256}
    root = tmp_path_factory.mktemp("tiny")
    out = {}
    for i, name in enumerate(("student", "teacher_a", "teacher_b")):
        m = make_qwen3(tiny_tokenizer, seed=100 + i, **arch)
        m.generation_config.max_new_tokens = 12
        out[name] = save_model_dir(m, tiny_tokenizer, root / name)
    return out


@pytest.fixture(scope="session")
def micro_model(tmp_path_factory):
    """A tiny random Qwen3 whose tokenizer is trained on the real micro corpus (all domains)."""
    from domains.registry import micro_corpus
    from harness.model.build import make_qwen3, save_model_dir, train_tokenizer

    tok = train_tokenizer(micro_corpus(0, 400), vocab_size=400)
    m = make_qwen3(tok, seed=0, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                   num_key_value_heads=1, head_dim=16, max_position_embeddings=512)
    return save_model_dir(m, tok, tmp_path_factory.mktemp("micro") / "model")
