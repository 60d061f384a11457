"""Science: RL data (Nemotron STEM MCQA / JSONL / micro), the answer-letter verifier, GPQA-Diamond + HLE suites."""

from __future__ import annotations

from domains.base import ModuleDomain
from domains.science.micro import micro as micro_fn
from domains.science.verify import VERSION, verify_science

DOMAIN = ModuleDomain("science", __name__, VERSION, verify_science, micro_fn)
