"""Shared pieces of the generation backends: sampling settings, chat rendering, stop strings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError


@dataclass(frozen=True)
class Sampling:
    """What every backend needs to know to sample; built from any GenerationSettings-like object."""

    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 64
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False  # benchmarks only: always generate max_new_tokens

    @classmethod
    def of(cls, params: Any) -> Sampling:
        if isinstance(params, Sampling):
            return params
        get = params.get if isinstance(params, dict) else (lambda k, d=None: getattr(params, k, d))
        out = cls(
            temperature=float(get("temperature", 1.0)),
            top_p=float(get("top_p", 1.0)),
            max_new_tokens=int(get("max_new_tokens", 64)),
            stop=tuple(get("stop", ()) or ()),
            ignore_eos=bool(get("ignore_eos", False)),
        )
        if out.temperature < 0 or not 0 < out.top_p <= 1 or out.max_new_tokens < 1:
            raise UserError(
                f"bad generation settings {out}: temperature >= 0, 0 < top_p <= 1 and max_new_tokens >= 1 are required"
            )
        return out


def truncate_at_stop(text: str, stop: tuple[str, ...]) -> str:
    """Cut at the first stop string (excluded), the OpenAI/vLLM convention, so every backend agrees."""
    cut = len(text)
    for s in stop:
        if s:
            i = text.find(s)
            if 0 <= i < cut:
                cut = i
    return text[:cut]


def check_model_dir(model: str | Path) -> Path:
    p = Path(model).expanduser()
    if not p.is_dir():
        raise UserError(f"model {str(model)!r}: not a directory (expected a Hugging Face model directory or a URL)")
    if not (p / "config.json").exists():
        raise UserError(f"model {str(p)!r}: no config.json; is this a Hugging Face model directory?")
    return p


def render_chat(tokenizer: Any, messages: list[dict]) -> list[int]:
    """Token ids of a chat prompt with the model's chat template and the assistant turn opened."""
    if not getattr(tokenizer, "chat_template", None):
        raise UserError("the model's tokenizer has no chat_template; evaluation applies the chat template")
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]
