"""HumanEval through the sandbox: every canonical solution passes; broken ones fail."""

import pytest

from domains.registry import get_suite
from harness.sandbox import Limits, get_sandbox
from harness.scoring import score_samples


@pytest.mark.slow
def test_canonical_pass_broken_fail(external):
    suite = get_suite("humaneval")
    exs = suite.load(str(external / "humaneval/HumanEval.jsonl.gz"))
    assert len(exs) == 164
    responses = {}
    for e in exs:
        sol, entry = e["meta"]["canonical_solution"], e["label"]["entry_point"]
        responses[e["id"]] = [
            f"```python\n{e['label']['prompt']}{sol}\n```",  # full program in a fence
            sol,  # a continuation of the prompt
            f"```python\ndef {entry}(*args, **kwargs):\n    return None\n```",  # wrong
            e["label"]["prompt"] + sol + "\nimport os\nos._exit(0)\n",  # exits before the tests can run
        ]
    with get_sandbox("auto", limits=Limits(timeout_s=10)) as sb:
        rows, metrics = score_samples(suite, exs, responses, sandbox=sb)
    wrong = [(r["task_id"], r["sample"], r["details"]) for r in rows if r["correct"] != (r["sample"] < 2)]
    assert not wrong, wrong[:5]
    assert metrics["n"] == 164 and metrics["accuracy"] == pytest.approx(0.5)
