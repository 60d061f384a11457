"""Build a tokenizer and a Qwen3-architecture causal LM from scratch, saved as a standard HF model directory.

Used by the micro recipe's ``base`` stage (then pretrained briefly) and by tests that need tiny real models.
The tokenizer is byte-level BPE trained with ``tokenizers`` (digits split one per token, so arithmetic is
learnable), wrapped as a ``PreTrainedTokenizerFast`` with a ChatML-style chat template whose assistant turn is
marked with ``{% generation %}`` so TRL can put the loss on the assistant turn only.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GenerationConfig, PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

PAD, BOS_CHAT, EOS = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"

CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}"
    "{{ '\\n' }}"
    "{%- else %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)

_DEFAULT_TEXTS = [
    "Compute (3+4)*5-2. \\boxed{33}",
    "def add(a, b):\n    return a + b\n",
    "Which unit measures force? A) newton B) joule C) watt D) volt Answer: A",
    "Write two sentences in lowercase, no commas.",
    "The capital of France is Paris.",
]


def train_tokenizer(texts: Iterable[str], vocab_size: int = 512) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS_CHAT, EOS, THINK_OPEN, THINK_CLOSE],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(texts), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=EOS, pad_token=PAD, bos_token=None, unk_token=None,
        additional_special_tokens=[BOS_CHAT],
    )
    fast.chat_template = CHAT_TEMPLATE
    fast.padding_side = "left"
    return fast


def make_qwen3(tokenizer: PreTrainedTokenizerFast, *, seed: int, **arch) -> Qwen3ForCausalLM:
    """A freshly initialised Qwen3ForCausalLM (tied embeddings) sized by ``arch`` (a MicroModel's fields)."""
    keys = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
            "head_dim", "max_position_embeddings")
    cfg = Qwen3Config(
        vocab_size=len(tokenizer),
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        **{k: arch[k] for k in keys if k in arch},
    )
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(cfg)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id, do_sample=True,
        temperature=1.0, top_p=1.0, top_k=0, max_new_tokens=64,
    )
    return model


def save_model_dir(model, tokenizer, out: Path) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return out


def tiny_model_dir(out: Path, *, seed: int = 0, texts: Iterable[str] | None = None, vocab_size: int = 300,
                   **arch) -> Path:
    """A tiny random Qwen3 model directory for tests (no pretraining): loads and generates with HF."""
    arch = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
            "num_key_value_heads": 1, "head_dim": 16, "max_position_embeddings": 256, **arch}
    tok = train_tokenizer(texts or _DEFAULT_TEXTS, vocab_size=vocab_size)
    return save_model_dir(make_qwen3(tok, seed=seed, **arch), tok, out)
