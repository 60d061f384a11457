"""The compute ledger: what each stage did, counted (deterministic), beside what it took, timed (machine-dependent).

Written by the training stages into their manifest under ``"compute_ledger"``; read by ONE reader (``read_run``) that the
compute analysis, the report and the leaderboard's accuracy-vs-compute plot all use.

Counted per stage (the same for the same recipe, seed and machine kind, whatever the load):

- ``generated_tokens``: rollout tokens sampled (completion tokens, padding excluded);
- ``prompt_tokens``: prompt tokens prefilled for those rollouts (one prompt per sample);
- ``forwarded_tokens``: tokens through no-grad forwards for log-probs (GRPO's old/reference log-probs when the
  trainer computes them, MT-OPD's teacher forwards), prompt + completion;
- ``trained_tokens``: tokens through a forward + backward (prompt + completion of GRPO/MT-OPD, non-padding tokens
  of SFT);
- ``sandbox_programs``: programs the sandbox ran (one per ``run``, one per job of ``run_many``);
- ``flops``: ≈ 2·N per generated, prefilled or forwarded token + 6·N per trained token, with N = ``params``, ALL
  parameters of the trained model counted once (embeddings included: the micro model ties its embedding to the
  LM head, whose matmul is real compute at every token; at ~1 M parameters the embedding is a large share, so a
  non-embedding N would misstate the micro runs). Attention's sequence-length term is left out, as in 6·N·D.

Timed, beside it: ``device_seconds`` (cores × CPU time or GPUs × wall, what the paper's GPU hours are) and
``wall_seconds``. The paper's 33.2% is a ratio of GPU hours (a measured time), not of tokens or FLOPs: on GPUs with
long rollouts time tracks generated tokens; at micro scale on a shared CPU it tracks framework overhead and load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError

COUNTS = ("generated_tokens", "prompt_tokens", "forwarded_tokens", "trained_tokens", "sandbox_programs")
SINGLES = ("rl-math", "rl-code", "rl-science", "rl-if")
PARAMS_COUNTED = "all parameters, tied weights once"


def param_count(model: Any) -> int:
    """All parameters of ``model``, each shared tensor once (``Module.parameters()`` de-duplicates tied weights)."""
    return int(sum(p.numel() for p in model.parameters()))


def _total(x: Any) -> int:
    if hasattr(x, "sum"):  # a tensor
        return int(x.sum().item())
    return int(sum(_total(v) if isinstance(v, list | tuple) else v for v in x))


@dataclass
class TokenLedger:
    params: int
    generated_tokens: int = 0
    prompt_tokens: int = 0
    forwarded_tokens: int = 0
    trained_tokens: int = 0
    sandbox_programs: int = 0
    batches: int = 0

    def add_rollout(self, prompt_mask: Any, completion_mask: Any, *, nograd_forwards: int = 0,
                    generated: bool = True) -> None:
        """One rollout batch: masks (tensors or lists of 0/1 rows) of prompts and completions, the number of
        no-grad forwards over the whole sequences (log-probs), and one forward + backward of them (training)."""
        p, c = _total(prompt_mask), _total(completion_mask)
        if generated:
            self.generated_tokens += c
            self.prompt_tokens += p
        self.forwarded_tokens += nograd_forwards * (p + c)
        self.trained_tokens += p + c
        self.batches += 1

    def add_trained(self, tokens: int) -> None:
        self.trained_tokens += int(tokens)

    @property
    def flops(self) -> int:
        return flops(self.params, self.generated_tokens + self.prompt_tokens + self.forwarded_tokens,
                     self.trained_tokens)

    def record(self) -> dict:
        """What the stage manifest stores under ``"compute_ledger"``."""
        return {**asdict(self), "flops": self.flops, "params_counted": PARAMS_COUNTED}


def flops(params: int, forward_tokens: int | float, trained_tokens: int | float) -> int:
    return int(2 * params * forward_tokens + 6 * params * trained_tokens)


class CountingSandbox:
    """Wraps an open sandbox and counts the programs it runs; everything else is the sandbox's own."""

    def __init__(self, sandbox: Any):
        self._sb = sandbox
        self.programs = 0

    def run(self, *args, **kwargs):
        self.programs += 1
        return self._sb.run(*args, **kwargs)

    def run_many(self, jobs, *args, **kwargs):
        jobs = list(jobs)
        self.programs += len(jobs)
        return self._sb.run_many(jobs, *args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._sb, name)


# ---- the one reader -------------------------------------------------------------------------------------------------
def read_run(run_dir: Path) -> list[dict]:
    """One row per finished stage of ``runs/<recipe>``: ``{stage, device, wall_seconds, device_seconds,
    device_hours, ledger}`` (``ledger`` = the counted record, or None for stages that count nothing)."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: run directory not found (expected runs/<recipe>)")
    rows = []
    for mf in sorted(run_dir.glob("*/manifest.json")):
        try:
            m = json.loads(mf.read_text())
        except json.JSONDecodeError as e:
            raise UserError(f"{mf}: invalid JSON: {e}") from None
        if not isinstance(m, dict):
            raise UserError(f"{mf}: not a stage manifest (a JSON object)")
        if m.get("status", "done") != "done":
            continue
        if not isinstance(m.get("device_seconds"), int | float | None):
            raise UserError(f"{mf}: device_seconds: expected a number, got {m.get('device_seconds')!r}")
        if "device_seconds" not in m:
            raise UserError(f"{mf}: manifest lacks device_seconds")
        led = m.get("compute_ledger")  # ("ledger" is the leaderboard stage's own: stage -> device-seconds)
        if led is not None and not (isinstance(led, dict) and all(isinstance(led.get(k), int) for k in (*COUNTS, "flops"))):
            raise UserError(f"{mf}: compute_ledger: expected integers {', '.join((*COUNTS, 'flops'))}")
        dev = float(m["device_seconds"] or 0.0)
        rows.append({"stage": m.get("stage", mf.parent.name), "device": m.get("device", "?"),
                     "wall_seconds": float(m.get("wall_seconds") or 0.0), "device_seconds": dev,
                     "device_hours": dev / 3600, "ledger": led})
    if not rows:
        raise UserError(f"{run_dir}: no finished stage manifests (*/manifest.json)")
    return rows


MEASURES = {  # name -> what it reads from a row
    "device_seconds": lambda r: r["device_seconds"],
    "flops": lambda r: (r["ledger"] or {}).get("flops"),
    "generated_tokens": lambda r: (r["ledger"] or {}).get("generated_tokens"),
    "trained_tokens": lambda r: (r["ledger"] or {}).get("trained_tokens"),
}


def by_stage(rows: list[dict], measure: str = "device_seconds") -> dict[str, float]:
    """stage -> the measure, for the stages that have it."""
    get = MEASURES[measure]
    return {r["stage"]: float(v) for r in rows if (v := get(r)) is not None}


def ratio(values: dict[str, float], stage: str = "rl-multi") -> float | None:
    """``stage`` as a fraction of the four single-domain RL runs (None when one of them is missing)."""
    singles = [values.get(s) for s in SINGLES]
    if stage not in values or any(v is None for v in singles) or sum(singles) <= 0:
        return None
    return values[stage] / sum(singles)


def ratios(rows: list[dict]) -> dict[str, dict[str, float | None]]:
    """``{measure: {"multi_over_singles", "opd_over_singles"}}`` for every measure."""
    out = {}
    for m in MEASURES:
        v = by_stage(rows, m)
        out[m] = {"multi_over_singles": ratio(v, "rl-multi"), "opd_over_singles": ratio(v, "opd-multi")}
    return out
