"""An infrastructure failure is not a wrong answer: a sandbox worker killed in the middle of a program, or an
engine that can no longer start workers, gives an ``infra`` verdict; the GRPO reward retries it once, masks it
(None) if it persists and stops the step past ``max_infra_share``. Real pools on both backends; the test kills
only the workers (bwrap processes / containers) of the pool it started, never the shared engine."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from domains.base import Verdict
from domains.registry import verify
from harness.sandbox import get_sandbox
from harness.train.rewards import InfraFailure, RoutedReward

from .conftest import BACKENDS, IMAGE, TEST_LIMITS, require

SLOW_SUM = "import sys, time\na, b = map(int, sys.stdin.read().split())\ntime.sleep({s})\nprint(a + b)\n"


def example(i: int) -> dict:
    return {"id": f"sum-{i}", "domain": "code", "messages": [{"role": "user", "content": "add"}],
            "label": {"format": "stdio", "tests": [{"input": f"{i} 2\n", "output": f"{i + 2}\n"}]}, "meta": {}}


def program(seconds: float) -> str:
    return "```python\n" + SLOW_SUM.format(s=seconds) + "```"


def kill_workers(backend: str, pool) -> int:
    """SIGKILL every live worker of ``pool`` (bwrap: the worker process; docker: its container)."""
    n = 0
    for w in list(pool._all):
        if backend == "bwrap":
            if w.proc and w.proc.poll() is None:
                for pid in w.host_pids()[1:2]:  # the worker, PID 1 of its namespace: everything in it dies
                    os.kill(pid, signal.SIGKILL)
                    n += 1
        elif w.container is not None:
            try:
                w.container.kill()
                n += 1
            except Exception:  # already gone
                pass
    return n


def later(seconds: float, fn) -> threading.Thread:
    t = threading.Thread(target=lambda: (time.sleep(seconds), fn()), daemon=True)
    t.start()
    return t


def break_engine(backend: str, monkeypatch) -> None:
    """From now on no new worker can start: docker's client points at a socket nobody serves, bwrap is 'gone'."""
    if backend == "docker":
        monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/mixmerge-test.sock")
    else:
        import harness.sandbox.bwrap as bw

        monkeypatch.setattr(bw, "bwrap_path", lambda: None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_worker_killed_mid_program_is_an_infra_verdict(backend):
    require(backend)
    with get_sandbox(backend, limits=TEST_LIMITS, workers=1, image=IMAGE) as sb:
        later(0.6, lambda: kill_workers(backend, sb))
        v = verify(example(1), program(2.0), sandbox=sb)
        assert v.infra and v.reward == 0.0 and v.details["status"] == "sandbox_error" and v.details["infra"]
        ok = verify(example(1), program(0), sandbox=sb)  # the slot has a fresh worker
        assert (ok.infra, ok.reward) == (False, 1.0)
        wrong = verify(example(1), "```python\nprint(0)\n```", sandbox=sb)  # a wrong program stays a 0, not infra
        assert (wrong.infra, wrong.reward) == (False, 0.0)
        assert sb.infra_failures == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_grpo_reward_retries_a_killed_step_once(backend):
    require(backend)
    with get_sandbox(backend, limits=TEST_LIMITS, workers=2, image=IMAGE) as sb:
        reward = RoutedReward(verify, sandbox=sb, workers=2)
        logged: dict[str, float] = {}
        exs = [example(i) for i in range(6)]
        later(0.6, lambda: kill_workers(backend, sb))
        got = reward(None, [[{"role": "assistant", "content": program(1.5)}]] * 6, example=exs,
                     log_metric=logged.__setitem__)
        assert got == [1.0] * 6  # the right programs were verified again, not scored 0
        assert logged["infra/retried"] >= 1 and logged["infra/failed"] == 0 and logged["reward/code"] == 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_engine_gone_masks_the_samples_and_stops_the_step(backend, monkeypatch):
    require(backend)
    with get_sandbox(backend, limits=TEST_LIMITS, workers=2, image=IMAGE) as sb:
        exs = [example(i) for i in range(4)]
        texts = [program(1.5)] * 4
        break_engine(backend, monkeypatch)
        later(0.6, lambda: kill_workers(backend, sb))
        lenient = RoutedReward(verify, sandbox=sb, workers=2, max_infra_share=1.0)
        logged: dict[str, float] = {}
        got = lenient(None, [[{"role": "assistant", "content": t}] for t in texts], example=exs,
                      log_metric=logged.__setitem__)
        assert got == [None] * 4 and logged["infra/failed"] == 4 and logged["infra/share"] == 1.0
        strict = RoutedReward(verify, sandbox=sb, workers=2, max_infra_share=0.1)
        with pytest.raises(InfraFailure, match=r"4 of 4 samples of this step could not be verified after one retry "
                                               r"\(100% > sandbox.max_infra_failure_share 0.1\)") as e:
            strict.score(exs, texts)
        assert "\n" not in str(e.value) and "could not be replaced" in str(e.value)


def test_share_below_the_limit_is_masked_not_stopped():
    """A step where 1 of 16 samples cannot be judged (6%) trains on the other 15; 2 of 16 (12.5%) stops it."""
    down = {"m-0", "m-1"}

    def flaky(ex, text, sandbox=None):
        if ex["id"] in down:
            return Verdict.infra_failure("engine timeout")
        return verify(ex, text)

    exs = [{"id": f"m-{i}", "domain": "math", "messages": [], "label": "4", "meta": {}} for i in range(16)]
    texts = ["\\boxed{4}"] * 8 + ["\\boxed{5}"] * 8
    down.discard("m-1")
    got = RoutedReward(flaky, max_infra_share=0.1).score(exs, texts)
    assert got == [None] + [1.0] * 7 + [0.0] * 8
    down.add("m-1")
    with pytest.raises(InfraFailure, match="2 of 16 samples"):
        RoutedReward(flaky, max_infra_share=0.1).score(exs, texts)
