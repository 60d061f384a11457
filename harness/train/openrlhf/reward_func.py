"""OpenRLHF custom reward file: ``reward_func(queries, prompts, labels)`` backed by our domain verifiers.

OpenRLHF 0.11.2 loads this file by path (``--reward.remote_url /…/reward_func.py``; the ``.py`` suffix selects
the in-process function over an HTTP reward server) inside each vLLM engine actor, and calls it once per
sample from a worker thread with ``queries`` = the decoded prompt + response (special tokens kept),
``prompts`` = the chat-templated prompt and ``labels`` = the record's ``label`` column. It expects
``{"rewards": tensor[n], "scores": tensor[n], "extra_logs": {name: tensor[n]}}`` with the same log keys
on every call (OpenRLHF concatenates them across samples).

Our label column is a JSON string ``{"domain", "label", "id"}`` written by ``harness.train.openrlhf.data``;
each sample is routed to ``domains.registry``'s verifier for its own domain, so one file serves single-domain
and multi-task runs. Code runs through ``harness.sandbox.get_sandbox`` (opened once per process, lazily):
inside the training container the launch mounts the host's Docker socket, so ``auto`` picks the docker
backend and programs run in sibling ``mixmerge-sandbox`` containers on the host engine (bubblewrap is the
fallback when no engine answers and the container may create user namespaces).

Settings come from ``reward_config.json`` beside this file (written by the launch): the recipe's
``sandbox`` section and the GRPO ``think_gate`` (reward 0 without a closing ``</think>``). A label that does
not parse gives reward 0 and counts in ``reward_error`` — never a crashed rollout.

Infrastructure failures (``Verdict.infra``: the sandbox or an engine failed, not the program; or a verifier
that raised) are verified once more; if they persist the sample counts in ``infra_failure`` and its ``scores``
is NaN (its ``rewards`` stays 0 so nothing downstream sees a NaN). OpenRLHF 0.11.2 has no per-sample mask: a
reward of None is dropped by its executor and breaks the batch, so the launch enables its dynamic filtering
with a range every real group mean lies inside (``--algo.dynamic_filtering_range -1 2``): the one comparison a
NaN mean fails, so the prompt's whole group is left out and a fresh prompt is drawn
(``SamplesGenerator._generate_vllm``). When more than ``sandbox.max_infra_failure_share`` of the last
``samples_per_step`` samples this process scored failed, it writes the reason to ``INFRA_STOP`` beside this
file, logs it and ends the engine actor (``os._exit``): Ray then stops the run, and the stage's log and that
file say why in one line.

Per-domain logging: for each RL domain ``d`` the logs carry ``{d}_share`` (1 if the sample is of ``d``) and
``{d}_reward`` (its reward if so, else 0); OpenRLHF averages over the batch, so the per-domain mean reward of
a step is ``{d}_reward / {d}_share``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import torch

RL_DOMAINS = ("math", "code", "science", "if")
END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|end_of_text|>", "<|eot_id|>", "</s>", "<eos>")
CONFIG_NAME = "reward_config.json"
log = logging.getLogger("mixmerge.openrlhf.reward")

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _config() -> dict:
    if "config" not in _state:
        path = Path(__file__).with_name(CONFIG_NAME)
        _state["config"] = json.loads(path.read_text()) if path.exists() else {}
    return _state["config"]


def _sandbox():
    """One sandbox pool per process, opened on the first code sample and closed at exit."""
    with _lock:
        if "sandbox" not in _state:
            from harness.sandbox import Limits, get_sandbox

            cfg = _config().get("sandbox", {})
            limits = Limits(**{k: cfg[k] for k in Limits.__dataclass_fields__ if k in cfg})
            stack = contextlib.ExitStack()
            _state["sandbox"] = stack.enter_context(
                get_sandbox(cfg.get("backend", "auto"), limits=limits, workers=cfg.get("workers"),
                            image=cfg.get("image", "mixmerge-sandbox:latest"))
            )
            atexit.register(stack.close)
        return _state["sandbox"]


def _domain(name: str):
    from domains import registry

    return registry.get_domain(name)


def completion_of(query: str, prompt: str) -> str:
    """The response text: the query after its prompt, without trailing end-of-turn tokens."""
    if query.startswith(prompt):
        text = query[len(prompt):]
    elif prompt and prompt in query:
        text = query[query.index(prompt) + len(prompt):]
    else:
        text = query
    text = text.rstrip()
    stripped = True
    while stripped:
        stripped = False
        for m in END_MARKERS:
            if text.endswith(m):
                text = text[: -len(m)].rstrip()
                stripped = True
    return text


def _verdict(domain: str, example: dict, completion: str):
    from domains.base import Verdict

    try:
        return _domain(domain).verify(example, completion, sandbox=_sandbox() if domain == "code" else None)
    except Exception as e:  # a verifier that cannot judge is an infrastructure failure, not a wrong answer
        log.warning("reward: %s verifier raised on %s: %s: %s", domain, example["id"], type(e).__name__, e)
        return Verdict.infra_failure(f"verifier raised {type(e).__name__}: {e}")


def _window_check(infra: bool) -> None:
    """Stop the run when too many recent samples could not be verified (see the module docstring)."""
    cfg = _config()
    limit = float((cfg.get("sandbox") or {}).get("max_infra_failure_share", 0.1))
    size = int(cfg.get("samples_per_step") or 256)
    with _lock:
        win = _state.setdefault("window", [])
        win.append(infra)
        del win[:-size]
        failed = sum(win)
        if len(win) < size or failed / size <= limit:
            return
    why = (f"{failed} of the last {size} samples could not be verified after one retry ({failed / size:.0%} > "
           f"sandbox.max_infra_failure_share {limit}): the sandbox or engine failed; fix it and run again")
    Path(__file__).with_name("INFRA_STOP").write_text(why + "\n")
    log.error("mixmerge reward: %s", why)
    os._exit(70)


def score_one(query: str, prompt: str, label: str) -> tuple[float, str | None, bool, bool, bool]:
    """(reward, domain, correct, error, infra) for one sample."""
    try:
        rec = json.loads(label)
        domain = rec["domain"]
        example = {"id": rec.get("id", ""), "domain": domain, "messages": [], "label": rec["label"],
                   "meta": rec.get("meta", {})}
    except (TypeError, ValueError, KeyError) as e:
        log.warning("reward: label is not our JSON {domain, label}: %s (%.80r)", e, label)
        return 0.0, None, False, True, False
    completion = completion_of(query, prompt)
    if _config().get("think_gate") and "</think>" not in completion:
        return 0.0, domain, False, False, False
    verdict = _verdict(domain, example, completion)
    if verdict.infra:  # retry once: a replaced worker or a recovered engine usually answers
        verdict = _verdict(domain, example, completion)
    _window_check(verdict.infra)
    if verdict.infra:
        return 0.0, domain, False, False, True
    return float(verdict.reward), domain, bool(verdict.correct), False, False


def reward_func(queries: list[str], prompts: list[str], labels: list[str], **_: Any) -> dict:
    t0 = time.perf_counter()
    rows = [score_one(q, p, lab) for q, p, lab in zip(queries, prompts, labels, strict=True)]
    rewards = torch.tensor([r[0] for r in rows], dtype=torch.float)
    scores = torch.tensor([float("nan") if r[4] else r[0] for r in rows], dtype=torch.float)
    logs: dict[str, torch.Tensor] = {
        "correct": torch.tensor([float(r[2]) for r in rows]),
        "reward_error": torch.tensor([float(r[3]) for r in rows]),
        "infra_failure": torch.tensor([float(r[4]) for r in rows]),
        "reward_seconds": torch.full((len(rows),), (time.perf_counter() - t0) / max(len(rows), 1)),
    }
    for d in RL_DOMAINS:
        logs[f"{d}_share"] = torch.tensor([float(r[1] == d) for r in rows])
        logs[f"{d}_reward"] = torch.tensor([r[0] if r[1] == d else 0.0 for r in rows])
    return {"rewards": rewards, "scores": scores, "extra_logs": logs}
