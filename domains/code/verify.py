"""Code verifier: extract the program, run every test in the sandbox, reward 1 iff all pass.

Labels (``example["label"]``):
  ``{"format": "functional", "fn_name": "f", "tests": [{"input": json-args, "output": json}], ...}``
  ``{"format": "stdio", "tests": [{"input": "...", "output": "..."}]}``          (LiveCodeBench stdin/stdout)
  ``{"format": "humaneval", "prompt": ..., "test": "def check(candidate): ...", "entry_point": "add"}``
The program is the last fenced code block of the completion (after any ``</think>``); without a fence the
completion is taken as code, and for HumanEval a completion that continues the prompt is prefixed with it.
A LiveCodeBench label (``"extract": "lcb"``) takes the code as ``lcb_runner/utils/extraction_utils.py:4-17``
does: the lines between the last two lines containing a fence, and no code at all with fewer than two.
Model code never runs in this process: only through ``harness.sandbox``.
"""

from __future__ import annotations

import re
from typing import Any

from domains.answers import after_thinking
from domains.base import Example, Verdict
from harness.errors import UserError

VERSION = "2"  # 2: LiveCodeBench rules of lcb_runner 28fef95, plain-value results
_FENCE_RE = re.compile(r"```[ \t]*([A-Za-z0-9_+\-]*)[^\n]*\n(.*?)```", re.DOTALL)


def extract_code(completion: str | None) -> str:
    """The last fenced block (any language tag), an unclosed final fence's body, or the whole text."""
    body = after_thinking(completion)
    blocks = _FENCE_RE.findall(body)
    if blocks:
        return blocks[-1][1]
    if "```" in body:
        tail = body.rsplit("```", 1)[1]
        return tail.split("\n", 1)[1] if "\n" in tail else ""
    return body


def extract_code_lcb(completion: str | None) -> str:
    """lcb_runner's rule (extraction_utils.py:13-17): lines between the last two lines that contain a fence."""
    lines = after_thinking(completion).split("\n")
    fences = [i for i, line in enumerate(lines) if "```" in line]
    return "\n".join(lines[fences[-2] + 1 : fences[-1]]) if len(fences) >= 2 else ""


def humaneval_program(prompt: str, completion: str, entry_point: str) -> str:
    """A full program: the extracted code if it defines ``entry_point``, else the prompt + continuation."""
    code = extract_code(completion)
    if re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", code, re.MULTILINE):
        return prompt + "\n" + code if "import" in prompt and "import" not in code else code
    return prompt + code


def _checks_module():
    try:
        from harness.sandbox import checks
    except ImportError as e:
        raise UserError(f"the code verifier needs harness.sandbox.checks, which is not available: {e}") from None
    return checks


def to_check(example: Example, completion: str) -> Any | None:
    """The sandbox check for one completion (None when there is no code to run)."""
    checks = _checks_module()
    label = example["label"]
    fmt = label.get("format", "stdio")
    if fmt == "humaneval":
        program = humaneval_program(label.get("prompt", ""), completion, label["entry_point"])
        return checks.HumanEvalCheck(program, label["test"], label["entry_point"])
    code = extract_code_lcb(completion) if label.get("extract") == "lcb" else extract_code(completion)
    if not code.strip():
        return None
    if fmt == "functional":
        return checks.FunctionalCheck(code, label["fn_name"], label["tests"])
    if fmt == "stdio":
        return checks.StdioCheck(code, label["tests"])
    from harness.errors import unknown

    raise unknown("code test format", fmt, ["functional", "stdio", "humaneval"])


def verify_code_many(pairs: list[tuple[Example, str]], sandbox: Any) -> list[Verdict]:
    """Verdicts for many (example, completion) pairs, run in parallel on the sandbox pool."""
    if sandbox is None:
        raise UserError("the code verifier needs a sandbox: open one with harness.sandbox.get_sandbox('auto') "
                        "(or pass --sandbox BACKEND to the command)")
    made = [to_check(ex, c) for ex, c in pairs]
    todo = [c for c in made if c is not None]
    results = iter(_checks_module().check_many(sandbox, todo) if todo else [])
    out = []
    for c in made:
        if c is None:
            out.append(Verdict(0.0, False, {"reason": "no code"}))
            continue
        r = next(results)
        out.append(Verdict(float(r.passed), bool(r.passed), {"detail": r.detail, "n_passed": r.n_passed,
                                                              "n_total": r.n_total, "status": r.status},
                           infra=r.status == "sandbox_error"))  # the sandbox failed, not the program
    return out


def verify_code(example: Example, completion: str, sandbox: Any = None) -> Verdict:
    """Run the tests of ``example`` against the completion in ``sandbox`` (an open ``get_sandbox(...)``)."""
    return verify_code_many([(example, completion)], sandbox)[0]
