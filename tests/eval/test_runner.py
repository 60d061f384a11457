import json

import pytest
from eval_helpers import OracleServer

from domains.registry import get_suite
from harness.errors import UserError
from harness.eval.runner import evaluate
from harness.generation.hf import TransformersGenerator

MATH = get_suite("micro-math").load(None)[:6]
ANSWERS = {ex["messages"][-1]["content"]: str(ex["label"]) for ex in MATH}
RIGHT_BY_INDEX = [4, 3, 0, 1, 4, 2]  # correct samples out of K=4 for the first six problems
RIGHT = {ex["messages"][-1]["content"]: r for ex, r in zip(MATH, RIGHT_BY_INDEX, strict=True)}


@pytest.fixture
def oracle():
    s = OracleServer(ANSWERS, RIGHT)
    yield s
    s.close()


def read_samples(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_scores_are_exact_through_the_real_verifier(oracle, tmp_path):
    res = evaluate(oracle.url, ["micro-math"], tmp_path, k=4, limit=6, backend="openai", chunk=4)["micro-math"]
    m = res["metrics"]
    assert m["accuracy"] == pytest.approx(sum(RIGHT_BY_INDEX) / 24)  # Avg@4 = mean of per-problem means
    assert m["pass@4"] == pytest.approx(5 / 6)  # problem 3 never right
    assert m["pass@1"] == pytest.approx(m["accuracy"])
    assert m["ci_low"] < m["accuracy"] < m["ci_high"]
    assert res["n"] == 6 and res["k"] == 4 and res["complete"] and res["model"] == "oracle"
    for key in ("model_hash", "suite_hash", "generation", "seed", "versions", "wall_s", "verifier_version"):
        assert key in res, key
    assert res["generation"]["top_p"] == 0.7 and res["generation"]["temperature"] == 1.0
    rows = read_samples(tmp_path / "oracle" / "micro-math" / "samples.jsonl")
    assert len(rows) == 24
    assert {"id", "sample", "prompt", "completion", "verdict", "details"} <= set(rows[0])
    assert sum(r["verdict"]["correct"] for r in rows) == sum(RIGHT_BY_INDEX)
    saved = json.loads((tmp_path / "oracle" / "micro-math" / "results.json").read_text())
    assert saved["metrics"] == res["metrics"]


def test_interrupted_run_resumes_at_first_unscored_chunk_with_same_samples(tmp_path):
    full = OracleServer(ANSWERS, RIGHT)
    evaluate(full.url, ["micro-math"], tmp_path / "a", k=4, limit=6, backend="openai", chunk=2)
    full.close()
    broken = OracleServer(ANSWERS, RIGHT, fail_after=3)  # chunk 0 (2 problems) ok, chunk 1 dies half-way
    with pytest.raises(UserError, match="HTTP 400"):
        evaluate(broken.url, ["micro-math"], tmp_path / "b", k=4, limit=6, backend="openai", chunk=2,
                 generator_opts={"retries": 0, "concurrency": 1})
    broken.close()
    partial = json.loads((tmp_path / "b" / "oracle" / "micro-math" / "results.json").read_text())
    assert partial["complete"] is False and partial["done"] == 2
    again = OracleServer(ANSWERS, RIGHT)
    res = evaluate(again.url, ["micro-math"], tmp_path / "b", k=4, limit=6, backend="openai", chunk=2)["micro-math"]
    again.close()
    assert res["resumed_at"] == 2 and len(again.calls) == 4  # only problems 2..5 asked again
    a = read_samples(tmp_path / "a" / "oracle" / "micro-math" / "samples.jsonl")
    b = read_samples(tmp_path / "b" / "oracle" / "micro-math" / "samples.jsonl")
    assert a == b  # identical to the uninterrupted run, seeds included


class Interrupting:
    def __init__(self, inner, after):
        self.inner, self.after, self.calls = inner, after, 0

    def generate(self, *a, **kw):
        self.calls += 1
        if self.calls > self.after:
            raise KeyboardInterrupt
        return self.inner.generate(*a, **kw)


def test_transformers_cache_and_resume(tiny_model, tmp_path, caplog):
    hf = TransformersGenerator(tiny_model)
    kw = dict(k=2, limit=5, chunk=2, overrides={"max_new_tokens": 8})
    ref = evaluate(str(tiny_model), ["micro-math", "micro-if"], tmp_path / "a", generator=hf, **kw)
    assert set(ref) == {"micro-math", "micro-if"}
    assert {"prompt_strict", "inst_strict", "prompt_loose", "inst_loose"} <= set(ref["micro-if"]["metrics"])
    # cached: a generator that would fail is never called
    caplog.set_level("INFO", logger="mixmerge.eval")
    again = evaluate(str(tiny_model), ["micro-math", "micro-if"], tmp_path / "a", generator=Interrupting(hf, 0), **kw)
    assert again == ref and caplog.text.count("cached") == 2
    # a changed setting is a different result
    other = evaluate(str(tiny_model), ["micro-math"], tmp_path / "c", generator=hf, seed=1, **kw)["micro-math"]
    assert other["cache_key"] != ref["micro-math"]["cache_key"]
    # interrupted after one chunk, resumed: the same samples as the uninterrupted run
    with pytest.raises(KeyboardInterrupt):
        evaluate(str(tiny_model), ["micro-math"], tmp_path / "b", generator=Interrupting(hf, 1), **kw)
    res = evaluate(str(tiny_model), ["micro-math"], tmp_path / "b", generator=hf, **kw)["micro-math"]
    assert res["resumed_at"] == 2
    name = tiny_model.name
    assert read_samples(tmp_path / "b" / name / "micro-math" / "samples.jsonl") == \
        read_samples(tmp_path / "a" / name / "micro-math" / "samples.jsonl")


def test_user_errors(tiny_model, tmp_path):
    with pytest.raises(UserError, match="did you mean 'micro-math'"):
        evaluate(str(tiny_model), ["micro-maht"], tmp_path)
    with pytest.raises(UserError, match="not a directory"):
        evaluate(str(tmp_path / "nope"), ["micro-math"], tmp_path)
    with pytest.raises(UserError, match="unknown generation override"):
        evaluate(str(tiny_model), ["micro-math"], tmp_path, overrides={"temprature": 0.5})


def test_think_gate_is_a_setting_the_results_record(oracle, tmp_path):
    """The oracle's samples have no </think>: gated they all score 0; the gate enters the cache key and results."""
    off = evaluate(oracle.url, ["micro-math"], tmp_path, k=4, limit=6, backend="openai", chunk=4)["micro-math"]
    on = evaluate(oracle.url, ["micro-math"], tmp_path / "g", k=4, limit=6, backend="openai", chunk=4,
                  think_gate=True)["micro-math"]
    assert off["think_gate"] is False and on["think_gate"] is True and off["cache_key"] != on["cache_key"]
    assert off["metrics"]["accuracy"] > 0 and on["metrics"]["accuracy"] == 0.0
    rows = read_samples(tmp_path / "g" / "oracle" / "micro-math" / "samples.jsonl")
    assert all("think_gate" in r["details"]["reason"] for r in rows)
