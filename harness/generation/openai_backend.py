"""OpenAI-compatible HTTP backend (vLLM/SGLang/TGI servers, hosted APIs): chat completions with
bounded concurrency, retries with exponential backoff on timeouts, connection errors, 429 and 5xx,
and a per-request timeout. The chat template is the server's. The API key comes from
``OPENAI_API_KEY`` when set; the model name from ``served_model`` or the server's ``/models``.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from harness.errors import UserError
from harness.generation.common import Sampling, truncate_at_stop

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def api_base(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"


class OpenAIGenerator:
    name = "openai"

    def __init__(self, model: str, *, served_model: str | None = None, concurrency: int = 8, retries: int = 4,
                 timeout_s: float = 600.0, backoff_s: float = 1.0, api_key: str | None = None, **_: object) -> None:
        self.base = api_base(model)
        key = api_key or os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.client = httpx.Client(headers=headers, timeout=timeout_s,
                                   limits=httpx.Limits(max_connections=max(1, concurrency)))
        self.concurrency, self.retries, self.backoff_s = max(1, concurrency), max(0, retries), backoff_s
        self.model = served_model or self._first_model()

    def _request(self, method: str, path: str, json: dict | None = None) -> dict:
        url = f"{self.base}{path}"
        for attempt in range(self.retries + 1):
            last = ""
            try:
                r = self.client.request(method, url, json=json)
                if r.status_code < 400:
                    return r.json()
                last = f"HTTP {r.status_code}: {r.text[:200]}"
                if r.status_code not in RETRY_STATUS:
                    raise UserError(f"{url}: {last}")
            except (httpx.TimeoutException, httpx.TransportError) as e:
                last = f"{type(e).__name__}: {e}"
            if attempt < self.retries:
                time.sleep(self.backoff_s * 2**attempt)
        raise UserError(f"{url}: giving up after {self.retries + 1} attempts ({last})")

    def _first_model(self) -> str:
        data = self._request("GET", "/models").get("data") or []
        if not data:
            raise UserError(f"{self.base}/models lists no model; pass served_model")
        return data[0]["id"]

    def _one(self, messages: list[dict], n: int, s: Sampling, seed: int) -> list[str]:
        texts: list[str] = []
        while len(texts) < n:  # some servers ignore n > 1: ask again for the rest
            body = {"model": self.model, "messages": messages, "n": n - len(texts), "temperature": s.temperature,
                    "top_p": s.top_p, "max_tokens": s.max_new_tokens, "seed": seed + len(texts)}
            if s.stop:
                body["stop"] = list(s.stop)
            choices = self._request("POST", "/chat/completions", body).get("choices") or []
            if not choices:
                raise UserError(f"{self.base}/chat/completions returned no choices")
            texts += [truncate_at_stop((c.get("message") or {}).get("content") or "", s.stop) for c in choices]
        return texts[:n]

    def generate(self, prompts: list[list[dict]], n: int, params, seed: int = 0) -> list[list[str]]:
        s = Sampling.of(params)
        with ThreadPoolExecutor(self.concurrency) as pool:
            futs = [pool.submit(self._one, m, n, s, seed * 1_000_003 + i * 1009) for i, m in enumerate(prompts)]
            return [f.result() for f in futs]
