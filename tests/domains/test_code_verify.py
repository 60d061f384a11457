import json

import pytest

from domains.code.micro import REDUCES
from domains.code.verify import extract_code, verify_code, verify_code_many
from domains.registry import get_domain
from harness.errors import UserError
from harness.sandbox import Limits, get_sandbox


def test_extract_code():
    assert extract_code("text\n```python\na=1\n```\nmore\n```py\nb=2\n```") == "b=2\n"
    assert extract_code("```python\nx=1\n") == "x=1\n"
    assert extract_code("<think>```python\nbad\n```</think>def f(): pass") == "def f(): pass"
    assert extract_code("plain code") == "plain code"


def test_needs_a_sandbox():
    ex = get_domain("code").micro(0, 0, 0, 1).eval[0]
    with pytest.raises(UserError, match="needs a sandbox"):
        verify_code(ex, "```python\ndef f(xs): return 0\n```")


@pytest.fixture(scope="module")
def sandbox():
    with get_sandbox("auto", limits=Limits(timeout_s=10)) as sb:
        yield sb


def test_micro_references_pass_and_mutants_fail(sandbox):
    sft = get_domain("code").micro(0, 0, 40, 0, teacher_error=0.0).sft
    good = [(ex, ex["meta"]["response"]) for ex in sft]
    bad = [(ex, ex["meta"]["response"].replace("return ", "return 1 + ", 1) if "list" != ex["meta"]["reduce"]
            else ex["meta"]["response"].replace("return ", "return [0] + ", 1)) for ex in sft]
    verdicts = verify_code_many(good + bad + [(sft[0], "no code at all ```")], sandbox)
    assert all(v.correct for v in verdicts[:40]), [v.details for v in verdicts[:40] if not v.correct][:3]
    assert not any(v.correct for v in verdicts[40:])


def test_teacher_mistakes_are_off_by_one_and_mostly_caught(sandbox):
    """The teacher's off-by-one boundary fails the tests (each problem's first test holds the boundary value)
    unless the reduction hides it (the largest of ``x > 3`` is the largest of ``x >= 3``)."""
    sft = get_domain("code").micro(0, 0, 200, 0, teacher_error=1.0).sft
    wrong = [ex for ex in sft if ex["meta"].get("teacher_error")]
    assert len(wrong) > 100 and all(ex["meta"]["reduce"] in REDUCES for ex in wrong)
    verdicts = verify_code_many([(ex, ex["meta"]["response"]) for ex in wrong], sandbox)
    caught = [not v.correct for v in verdicts]
    assert sum(caught) / len(caught) > 0.65
    hidden = [ex["meta"]["reduce"] for ex, c in zip(wrong, caught, strict=True) if not c]
    assert hidden.count("max") + hidden.count("min") >= len(hidden) / 2, hidden


def test_stdio_and_routing(sandbox):
    ex = {"id": "s", "domain": "code", "label": {"format": "stdio", "tests": [{"input": "1 2\n", "output": "3\n"},
                                                                              {"input": "5 5\n", "output": "10\n"}]}}
    from domains.registry import verify

    assert verify(ex, "```python\na, b = map(int, input().split())\nprint(a + b)\n```", sandbox=sandbox).correct
    v = verify(ex, "```python\nprint(3)\n```", sandbox=sandbox)
    assert not v.correct and v.details["n_passed"] == 1


def test_functional_json_lines(sandbox):
    ex = {"id": "t", "domain": "code", "label": {"format": "functional", "fn_name": "twoSum", "tests": [
        {"input": "[2, 7, 11]\n9", "output": json.dumps([0, 1])}]}}
    code = ("```python\nclass Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n"
            "        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n"
            "            seen[x] = i\n```")
    assert verify_code(ex, code, sandbox).correct
