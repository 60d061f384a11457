"""Code: RL data (Nemotron competitive coding / JSONL / micro), the sandboxed test verifier, LCB + HumanEval suites."""

from __future__ import annotations

from domains.base import ModuleDomain
from domains.code.micro import micro as micro_fn
from domains.code.verify import VERSION, verify_code

DOMAIN = ModuleDomain("code", __name__, VERSION, verify_code, micro_fn, uses_sandbox=True)
