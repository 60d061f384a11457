"""ONE reward function for GRPO: each sample is routed to its domain's verifier by its ``domain``.

TRL passes every extra dataset column to a reward function as a keyword list; our rows carry the full example as
JSON (``example``), so the verifier gets exactly what evaluation gets. Code samples of a step run in parallel through
the sandbox pool (thread-safe ``run``); the others are verified in-process. Per-domain mean reward and the seconds
spent verifying are logged every step through TRL's ``log_metric``. Infrastructure failures (the sandbox or an
engine failed, ``Verdict.infra``) are retried once, then masked (``None``), counted and bounded per step.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domains.base import Verdict
from harness.errors import UserError

THINK_CLOSE = "</think>"
PARALLEL_DOMAINS = ("code",)  # verified concurrently (their verifier waits on the sandbox)

Verifier = Callable[[dict, str, Any], Verdict]


def completion_text(c: Any) -> str:
    """TRL gives conversational completions as ``[{"role": "assistant", "content": ...}]``."""
    if isinstance(c, list):
        return "".join(m.get("content", "") for m in c if isinstance(m, dict))
    return str(c)


class InfraFailure(UserError):
    """Too many samples of one step could not be verified: the stage stops (finished stages stay)."""


class RoutedReward:
    """``reward(prompts, completions, example, **kw) -> list[float | None]`` for TRL's GRPOTrainer.

    A sample whose verdict is an infrastructure failure (``Verdict.infra``: the sandbox or an engine failed,
    not the completion) is verified once more; if it fails again its reward is ``None``, which TRL 1.16 turns
    into NaN and leaves out of its group's mean and std, with advantage 0 (``GRPOTrainer._generate_and_score``:
    ``unscorable_mask``) — never a 0 that would teach the policy a right program was wrong. Each step logs
    ``infra/retried``, ``infra/failed`` and ``infra/share``; when the failed share exceeds ``max_infra_share``
    the step raises ``InfraFailure`` (one line).
    """

    __name__ = "routed_reward"  # TRL names the reward column after it

    def __init__(self, verify: Verifier, *, sandbox: Any = None, workers: int = 2, think_gate: bool = False,
                 max_infra_share: float = 0.1):
        self.verify = verify
        self.sandbox = sandbox
        self.workers = max(1, workers)
        self.think_gate = think_gate
        self.max_infra_share = max_infra_share
        self.seconds = 0.0  # total seconds spent verifying (the benchmark reads it)
        self.calls = 0
        self.infra_failed = 0  # samples masked out over the run
        self.infra_retried = 0
        self.last: dict[str, int] = {}

    def _one(self, ex: dict, text: str) -> Verdict:
        if self.think_gate and THINK_CLOSE not in text:
            return Verdict(0.0, False, {"reason": "no </think>"})
        try:
            return self.verify(ex, text, self.sandbox)
        except UserError:
            raise
        except Exception as e:  # noqa: BLE001 - a verifier that crashes could not judge: not the completion's fault
            return Verdict.infra_failure(f"verifier raised {type(e).__name__}: {e}")

    def _verdicts(self, examples: list[dict], texts: list[str], idx: list[int]) -> dict[int, Verdict]:
        out: dict[int, Verdict] = {}
        par = [i for i in idx if examples[i]["domain"] in PARALLEL_DOMAINS]
        if par:
            with ThreadPoolExecutor(min(self.workers, len(par))) as pool:
                out.update(zip(par, pool.map(lambda i: self._one(examples[i], texts[i]), par), strict=True))
        out.update({i: self._one(examples[i], texts[i]) for i in idx if i not in out})
        return out

    def score(self, examples: list[dict], texts: list[str]) -> list[float | None]:
        verdicts = self._verdicts(examples, texts, list(range(len(texts))))
        again = [i for i, v in verdicts.items() if v.infra]
        if again:  # retry once: a replaced worker or a recovered engine usually answers
            verdicts.update(self._verdicts(examples, texts, again))
        failed = [i for i in again if verdicts[i].infra]
        self.infra_retried += len(again)
        self.infra_failed += len(failed)
        self.last = {"retried": len(again), "failed": len(failed), "n": len(texts)}
        if texts and len(failed) / len(texts) > self.max_infra_share:
            why = verdicts[failed[0]].details.get("detail") or verdicts[failed[0]].details.get("infra_detail", "")
            raise InfraFailure(
                f"{len(failed)} of {len(texts)} samples of this step could not be verified after one retry "
                f"({len(failed) / len(texts):.0%} > sandbox.max_infra_failure_share {self.max_infra_share}): "
                f"the sandbox or engine failed ({str(why)[:160]}); fix it (mixmerge sandbox check) and run again")
        return [None if i in failed else float(verdicts[i].reward) for i in range(len(texts))]

    def __call__(self, prompts, completions, example, log_metric=None, **_) -> list[float | None]:
        t0 = time.perf_counter()
        examples = [json.loads(e) if isinstance(e, str) else e for e in example]
        rewards = self.score(examples, [completion_text(c) for c in completions])
        dt = time.perf_counter() - t0
        self.seconds += dt
        self.calls += 1
        if log_metric is not None:
            by_domain: dict[str, list[float]] = defaultdict(list)
            for e, r in zip(examples, rewards, strict=True):
                if r is not None:
                    by_domain[e["domain"]].append(r)
            for d, rs in sorted(by_domain.items()):
                log_metric(f"reward/{d}", sum(rs) / len(rs))
            log_metric("time/reward_s", dt)
            log_metric("infra/retried", float(self.last["retried"]))
            log_metric("infra/failed", float(self.last["failed"]))
            log_metric("infra/share", self.last["failed"] / max(1, self.last["n"]))
        return rewards
