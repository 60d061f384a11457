"""Code verifier: extract the program, run every test in the sandbox, reward 1 iff all pass.

Labels (``example["label"]``):
  ``{"format": "functional", "fn_name": "f", "tests": [{"input": json-args, "output": json}], ...}``
  ``{"format": "stdio", "tests": [{"input": "...", "output": "..."}]}``          (LiveCodeBench stdin/stdout)
  ``{"format": "humaneval", "prompt": ..., "test": "def check(candidate): ...", "entry_point": "add"}``
The program is the last fenced code block of the completion (after any ``</think>``); without a fence the
completion is taken as code, and for HumanEval a completion that continues the prompt is prefixed with it.
Model code never runs in this process: only through ``harness.sandbox``.
"""

from __future__ import annotations

import re
from typing import Any

from domains.answers import after_thinking
from domains.base import Example, Verdict
from harness.errors import UserError

VERSION = "1"
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


def humaneval_program(prompt: str, completion: str, entry_point: str) -> str:
    """A full program: the extracted code if it defines ``entry_point``, else the prompt + continuation."""
    code = extract_code(completion)
    if re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", code, re.MULTILINE):
        return prompt + "\n" + code if "import" in prompt and "import" not in code else code
    return prompt + code


def _sandbox_checks():
    try:
        from harness.sandbox.checks import check_functional, check_humaneval, check_stdio
    except ImportError as e:
        raise UserError(f"the code verifier needs harness.sandbox.checks, which is not available: {e}") from None
    return check_functional, check_humaneval, check_stdio


def verify_code(example: Example, completion: str, sandbox: Any = None) -> Verdict:
    """Run the tests of ``example`` against the completion in ``sandbox`` (an open ``get_sandbox(...)``)."""
    if sandbox is None:
        raise UserError("the code verifier needs a sandbox: open one with harness.sandbox.get_sandbox('auto') "
                        "(or pass --sandbox BACKEND to the command)")
    label = example["label"]
    fmt = label.get("format", "stdio")
    check_functional, check_humaneval, check_stdio = _sandbox_checks()
    if fmt == "humaneval":
        program = humaneval_program(label.get("prompt", ""), completion, label["entry_point"])
        r = check_humaneval(sandbox, program=program, test=label["test"], entry_point=label["entry_point"])
    else:
        code = extract_code(completion)
        if not code.strip():
            return Verdict(0.0, False, {"reason": "no code"})
        if fmt == "functional":
            r = check_functional(sandbox, code, fn_name=label["fn_name"], tests=label["tests"])
        elif fmt == "stdio":
            r = check_stdio(sandbox, code, tests=label["tests"])
        else:
            from harness.errors import unknown

            raise unknown("code test format", fmt, ["functional", "stdio", "humaneval"])
    ok = bool(r.passed)
    return Verdict(float(ok), ok, {"detail": getattr(r, "detail", "")})
