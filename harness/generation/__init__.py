"""Generation backends behind one call: ``get_generator(backend, model, **opts).generate(prompts, n, params, seed)``.

``prompts`` are chat messages (the model's chat template is applied), ``params`` anything with temperature,
top_p, max_new_tokens, stop (e.g. ``domains.base.GenerationSettings``); the result holds n completions per
prompt, cut at the first stop string. Backends are imported lazily (vLLM lives in its own environment).
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from harness.errors import UserError, unknown
from harness.generation.common import Sampling, truncate_at_stop

# backend name -> "module:class". Adding a backend is one module + one line here + its tests.
BACKENDS: dict[str, str] = {
    "transformers": "harness.generation.hf:TransformersGenerator",
    "vllm": "harness.generation.vllm_backend:VLLMGenerator",
    "openai": "harness.generation.openai_backend:OpenAIGenerator",
}


class Generator(Protocol):
    name: str

    def generate(self, prompts: list[list[dict]], n: int, params: Any, seed: int = 0) -> list[list[str]]: ...


# bumped when a backend's random stream changes for the same seed (the eval cache key carries it, so a result
# or a half-finished suite from the old stream is never reused or mixed with the new one)
SAMPLER_VERSIONS = {"transformers": "2", "vllm": "1", "openai": "1"}


def is_url(model: str) -> bool:
    return str(model).startswith(("http://", "https://"))


def get_generator(backend: str, model: str, **opts: Any) -> Generator:
    if backend not in BACKENDS:
        raise unknown("generation backend", backend, list(BACKENDS))
    if is_url(model) != (backend == "openai"):
        raise UserError(f"backend {backend!r} cannot serve {model!r}: URLs need --backend openai, "
                        "model directories need transformers or vllm")
    module, cls = BACKENDS[backend].split(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise UserError(f"backend {backend!r} is not installed here ({e}); for vllm use `nox -s vllm` "
                        "or the docker/eval image") from None
    return getattr(mod, cls)(model, **opts)


__all__ = ["BACKENDS", "Generator", "Sampling", "get_generator", "is_url", "truncate_at_stop"]
