"""Training stages: SFT, single-domain GRPO, mixed multi-task GRPO and multi-teacher on-policy distillation.

Backends: ``local`` (TRL on CPU or one GPU; this package) and ``openrlhf`` (``harness.train.openrlhf``).
Stage functions for the pipeline live in ``harness.train.stages``; ``mixmerge train`` in ``harness.train.cli``.
"""
