"""ONE reward function for GRPO: each sample is routed to its domain's verifier by its ``domain``.

TRL passes every extra dataset column to a reward function as a keyword list; our rows carry the full example as
JSON (``example``), so the verifier gets exactly what evaluation gets. Code samples of a step run in parallel through
the sandbox pool (thread-safe ``run``); the others are verified in-process. Per-domain mean reward and the seconds
spent verifying are logged every step through TRL's ``log_metric``.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domains.base import Verdict

THINK_CLOSE = "</think>"
PARALLEL_DOMAINS = ("code",)  # verified concurrently (their verifier waits on the sandbox)

Verifier = Callable[[dict, str, Any], Verdict]


def completion_text(c: Any) -> str:
    """TRL gives conversational completions as ``[{"role": "assistant", "content": ...}]``."""
    if isinstance(c, list):
        return "".join(m.get("content", "") for m in c if isinstance(m, dict))
    return str(c)


class RoutedReward:
    """``reward(prompts, completions, example, **kw) -> list[float]`` for TRL's GRPOTrainer."""

    __name__ = "routed_reward"  # TRL names the reward column after it

    def __init__(self, verify: Verifier, *, sandbox: Any = None, workers: int = 2, think_gate: bool = False):
        self.verify = verify
        self.sandbox = sandbox
        self.workers = max(1, workers)
        self.think_gate = think_gate
        self.seconds = 0.0  # total seconds spent verifying (the benchmark reads it)
        self.calls = 0

    def _one(self, ex: dict, text: str) -> float:
        if self.think_gate and THINK_CLOSE not in text:
            return 0.0
        return float(self.verify(ex, text, self.sandbox).reward)

    def score(self, examples: list[dict], texts: list[str]) -> list[float]:
        rewards: list[float] = [0.0] * len(texts)
        par = [i for i, e in enumerate(examples) if e["domain"] in PARALLEL_DOMAINS]
        seq = [i for i, e in enumerate(examples) if e["domain"] not in PARALLEL_DOMAINS]
        if par:
            with ThreadPoolExecutor(min(self.workers, len(par))) as pool:
                for i, r in zip(par, pool.map(lambda i: self._one(examples[i], texts[i]), par), strict=True):
                    rewards[i] = r
        for i in seq:
            rewards[i] = self._one(examples[i], texts[i])
        return rewards

    def __call__(self, prompts, completions, example, log_metric=None, **_) -> list[float]:
        t0 = time.perf_counter()
        examples = [json.loads(e) if isinstance(e, str) else e for e in example]
        rewards = self.score(examples, [completion_text(c) for c in completions])
        dt = time.perf_counter() - t0
        self.seconds += dt
        self.calls += 1
        if log_metric is not None:
            by_domain: dict[str, list[float]] = defaultdict(list)
            for e, r in zip(examples, rewards, strict=True):
                by_domain[e["domain"]].append(r)
            for d, rs in sorted(by_domain.items()):
                log_metric(f"reward/{d}", sum(rs) / len(rs))
            log_metric("time/reward_s", dt)
        return rewards
