"""In evaluation a sandbox failure is retried and, if it persists, reported as missing, never as incorrect:
HumanEval's own canonical solutions (../shared/external/humaneval) scored while this test kills the pool's
workers mid-check, with and without an engine that can start new ones."""

from __future__ import annotations

import json

import pytest

from harness.eval.runner import evaluate
from harness.paths import external_dir
from harness.sandbox import get_sandbox

from .conftest import BACKENDS, IMAGE, TEST_LIMITS, require
from .test_infra import break_engine, kill_workers, later

HUMANEVAL = external_dir() / "humaneval" / "HumanEval.jsonl.gz"


class CanonicalThenBreak:
    """Answers every problem with its canonical solution (slowed down); on chunk ``at`` it kills the pool's
    workers while they check (and, with ``broken``, no new worker can start from then on)."""

    def __init__(self, examples, backend, pool, monkeypatch, at: int, broken: bool):
        self.by_prompt = {ex["messages"][-1]["content"]: ex for ex in examples}
        self.backend, self.pool, self.mp, self.at, self.broken, self.calls = backend, pool, monkeypatch, at, broken, 0

    def generate(self, prompts, n, settings, seed=0):
        if self.calls == self.at:
            if self.broken:
                break_engine(self.backend, self.mp)
            later(0.8, lambda: kill_workers(self.backend, self.pool))
        self.calls += 1
        out = []
        for p in prompts:
            meta = self.by_prompt[p[-1]["content"]]["meta"]
            code = meta["raw_prompt"] + meta["canonical_solution"] + "\nimport time\ntime.sleep(1.5)\n"
            out.append(["```python\n" + code + "```"] * n)
        return out


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("broken", [False, True])
def test_sandbox_failures_are_retried_then_missing_never_incorrect(backend, broken, tmp_path, monkeypatch):
    require(backend)
    from domains.registry import get_suite

    examples = get_suite("humaneval").load(str(HUMANEVAL))[:3]
    (tmp_path / "m").mkdir()
    with get_sandbox(backend, limits=TEST_LIMITS, workers=2, image=IMAGE) as sb:
        gen = CanonicalThenBreak(examples, backend, sb, monkeypatch, at=1, broken=broken)
        res = evaluate(str(tmp_path / "m"), ["humaneval"], tmp_path / "out", k=2, limit=3, generator=gen,
                       sandbox=sb, data={"humaneval": str(HUMANEVAL)}, chunk=1)["humaneval"]
    m = res["metrics"]
    rows = [json.loads(x) for x in (tmp_path / "out" / "m" / "humaneval" / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    if not broken:  # the killed checks were run again on fresh workers: every canonical solution passes
        assert m["n_missing"] == 0 and m["accuracy"] == 1.0 and m["n"] == 3
        assert all(r["verdict"]["correct"] and not r["verdict"].get("missing") for r in rows)
    else:  # problem 0 was scored before the engine went; 1 and 2 are missing, not wrong
        assert m["n_missing"] == 4 and m["n"] == 1 and m["accuracy"] == 1.0
        assert [bool(r["verdict"].get("missing")) for r in rows] == [False, False, True, True, True, True]
        assert all(r["details"]["status"] == "sandbox_error" for r in rows[2:])
