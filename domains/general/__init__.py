"""General knowledge (eval only in the study): MMLU-Redux and generic MCQ suites, micro world-fact MCQ."""

from __future__ import annotations

from domains.base import ModuleDomain
from domains.general.micro import micro as micro_fn
from domains.science.verify import VERSION, verify_science

DOMAIN = ModuleDomain("general", __name__, VERSION, verify_science, micro_fn)
