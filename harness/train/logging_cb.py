"""Per-step metrics: ``metrics.jsonl`` (one JSON object per logged step) and TensorBoard events.

Every row carries the canonical fields ``step``, ``reward/<domain>`` (mean reward of that domain's samples in
the step; GRPO only), ``kl``, ``entropy``, ``completion_length``, ``step_time`` (seconds), then every other
scalar the TRL trainer logged, under its own name. A field the trainer did not log that step is ``null``.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from transformers import TrainerCallback

# canonical name -> the TRL log keys it is read from (first present wins)
CANONICAL = {
    "kl": ("kl",),
    "entropy": ("entropy",),
    "completion_length": ("completions/mean_length",),
    "step_time": ("step_time",),
    "loss": ("loss",),
    "reward": ("reward",),
}


def _num(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return None if math.isnan(v) or math.isinf(v) else float(v)


class MetricsLogger(TrainerCallback):
    """Writes each ``on_log`` event to ``<out>/metrics.jsonl`` and ``<out>/tb/`` (TensorBoard)."""

    def __init__(self, out: Path, domains: list[str] | tuple[str, ...] = ()):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.domains = list(domains)
        self.path = self.out / "metrics.jsonl"
        self.path.write_text("")
        self.rows: list[dict] = []
        self._writer = None
        self._t0 = time.perf_counter()

    def _tb(self):
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(self.out / "tb"))
        return self._writer

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = dict(logs or {})
        if "train_runtime" in logs:  # the end-of-training summary, not a step
            return
        row: dict = {"step": int(state.global_step), "wall_s": round(time.perf_counter() - self._t0, 3)}
        for name, keys in CANONICAL.items():
            row[name] = next((_num(logs[k]) for k in keys if k in logs), None)
        for d in self.domains:
            row[f"reward/{d}"] = _num(logs.get(f"reward/{d}"))
        for k, v in logs.items():
            if k not in row and _num(v) is not None:
                row[k] = _num(v)
        self.rows.append(row)
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        tb = self._tb()
        for k, v in row.items():
            if k != "step" and v is not None:
                tb.add_scalar(k, v, row["step"])

    def on_train_end(self, args, state, control, **kwargs):
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None

    def summary(self, last: int = 10) -> dict:
        """Means over the last ``last`` logged steps of the canonical fields (what the stage manifest records)."""
        tail = self.rows[-last:]
        keys = [*CANONICAL, *(f"reward/{d}" for d in self.domains)]
        out: dict = {"steps": self.rows[-1]["step"] if self.rows else 0}
        for k in keys:
            vals = [r[k] for r in tail if r.get(k) is not None]
            if vals:
                out[f"{k}_last{len(tail)}"] = round(sum(vals) / len(vals), 5)
        return out
