"""Model building blocks: a byte-level BPE tokenizer with a chat template, tiny Qwen3 models, HF model dirs."""
