"""Math: RL data (Nemotron blend / JSONL / micro), the math-verify verifier, AIME and generic suites."""

from __future__ import annotations

from domains.base import ModuleDomain
from domains.math.micro import micro as micro_fn
from domains.math.verify import VERSION, verify_math

DOMAIN = ModuleDomain("math", __name__, VERSION, verify_math, micro_fn)
