"""What a stage function receives. Stage functions live with their capability (train, merge, eval, ...)
and are named in ``harness.pipeline.stages.STAGE_KINDS``.

A stage function ``fn(ctx: StageContext) -> dict | None`` writes everything into ``ctx.out`` (a
temporary directory the runner renames into place only when the function returns). Model stages
write a standard Hugging Face model directory at ``ctx.out / "model"``. The returned dict is merged
into the stage's manifest (e.g. ``{"metrics": {...}, "device_seconds": 123.0}``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from harness.recipe import Recipe


@dataclass
class StageContext:
    recipe: Recipe
    name: str  # e.g. "rl-math", "merge-ties", "eval-sft"
    kind: str  # e.g. "rl", "merge", "eval"
    param: str | None  # e.g. "math", "ties", "sft" (the part after the kind)
    out: Path  # temporary directory to write into
    inputs: dict[str, Path]  # upstream stage name -> its finished stage directory
    run_root: Path  # runs/<recipe.name>
    seed: int
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("mixmerge.stage"))
    log_file: Path | None = None  # the stage log (runs/<recipe>/logs/<stage>.log); what ``log`` says lands there

    def model_dir(self, stage: str) -> Path:
        """The HF model directory of a finished upstream stage."""
        return self.inputs[stage] / "model"
