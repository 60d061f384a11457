"""Instruction following (registry name "if"): RL data, the IFEval/IFBench checkers, IFEval + IFBench suites."""

from __future__ import annotations

from domains.base import ModuleDomain
from domains.instruction_following.micro import micro as micro_fn
from domains.instruction_following.verify import VERSION, verify_if

DOMAIN = ModuleDomain("if", __name__, VERSION, verify_if, micro_fn)
