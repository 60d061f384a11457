"""Runs a recipe's stages in order: skip what a matching manifest says is done, build the rest atomically.

The inputs hash of a stage = its name, its kind's code version, the recipe sections it reads, the seed and the
output ids of its upstream stages (so re-building an upstream stage invalidates everything below it). Machine
paths and timestamps never enter the hash; the git commit and package versions are recorded, not hashed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import subprocess
import time
import traceback
import uuid
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from harness.errors import NotBuiltYet, UserError
from harness.pipeline.context import StageContext
from harness.pipeline.stages import Stage, plan, select
from harness.pipeline.store import RunStore
from harness.recipe import Recipe

log = logging.getLogger("mixmerge.pipeline")
PACKAGES = ("torch", "transformers", "trl", "tokenizers", "mergekit", "math-verify", "if-verifiable", "docker")


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pass
    return out


def git_commit() -> str | None:
    try:
        r = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                           cwd=Path(__file__).parent)
        return r.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def inputs_hash(recipe: Recipe, stage: Stage, store: RunStore) -> str:
    upstream = {}
    for d in stage.deps:
        m = store.manifest(d) or {}
        upstream[d] = m.get("output_id")
    payload = {
        "stage": stage.name,
        "version": stage.spec.version,
        "sections": recipe.section_hash(*stage.spec.sections),
        "seed": recipe.seed,
        "upstream": upstream,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def device_seconds_default(wall: float) -> tuple[float, str]:
    try:
        import torch

        if torch.cuda.is_available():
            return wall * torch.cuda.device_count(), "cuda"
        return wall * torch.get_num_threads(), "cpu"
    except ImportError:
        return wall * (os.cpu_count() or 1), "cpu"


@dataclass
class Outcome:
    stage: str
    state: str  # "cached" | "done" | "failed" | "not-built"
    seconds: float = 0.0
    message: str = ""


class Runner:
    def __init__(self, recipe: Recipe, runs_dir: Path = Path("runs"), *, echo=print):
        self.recipe = recipe
        self.root = Path(runs_dir) / recipe.name
        self.store = RunStore(self.root)
        self.echo = echo

    def stages(self, until: str | None = None) -> list[Stage]:
        return select(plan(self.recipe), until)

    def run(self, until: str | None = None, force: tuple[str, ...] = (), keep_going: bool = False) -> list[Outcome]:
        stages = self.stages(until)
        names = {s.name for s in stages}
        for f in force:
            if f not in names:
                from harness.errors import unknown

                raise unknown("stage", f, sorted(names))
        outcomes: list[Outcome] = []
        blocked: set[str] = set()
        t_all = time.time()
        for i, st in enumerate(stages, 1):
            tag = f"[{i:>2}/{len(stages)}] {st.name:<18}"
            if blocked.intersection(st.deps):
                blocked.add(st.name)
                outcomes.append(Outcome(st.name, "blocked"))
                self.echo(f"{tag} blocked (an upstream stage did not finish)")
                continue
            h = inputs_hash(self.recipe, st, self.store)
            if st.name not in force and self.store.is_done(st.name, h):
                outcomes.append(Outcome(st.name, "cached"))
                self.echo(f"{tag} cached")
                continue
            outcome = self._build(st, h, tag)
            outcomes.append(outcome)
            if outcome.state != "done":
                blocked.add(st.name)
                if not keep_going:
                    break
        done = sum(o.state in ("done", "cached") for o in outcomes)
        self.echo(f"{done}/{len(stages)} stages done in {time.time() - t_all:.1f}s; run store: {self.root}")
        return outcomes

    def _build(self, st: Stage, h: str, tag: str) -> Outcome:
        try:
            fn = st.function()
        except NotBuiltYet as e:
            self.echo(f"{tag} not built yet: {e}")
            return Outcome(st.name, "not-built", message=str(e))
        self.echo(f"{tag} running ...")
        tmp = self.store.begin(st.name)
        ctx = StageContext(
            recipe=self.recipe, name=st.name, kind=st.kind, param=st.param, out=tmp,
            inputs={d: self.store.stage_dir(d) for d in st.deps}, run_root=self.root, seed=self.recipe.seed,
            log=logging.getLogger(f"mixmerge.stage.{st.name}"),
        )
        t0, cpu0 = time.time(), time.process_time()
        try:
            extra = fn(ctx) or {}
        except UserError as e:
            self.store.fail(st.name, tmp, str(e))
            self.echo(f"{tag} FAILED: {e}")
            return Outcome(st.name, "failed", time.time() - t0, str(e))
        except Exception as e:  # a bug in a stage must not lose the finished stages: record and stop
            self.store.fail(st.name, tmp, traceback.format_exc())
            self.echo(f"{tag} FAILED: {type(e).__name__}: {e} (traceback in {self.store.failed_root / st.name}.json)")
            return Outcome(st.name, "failed", time.time() - t0, str(e))
        wall = time.time() - t0
        dev, device = device_seconds_default(wall)
        manifest = {
            "stage": st.name, "kind": st.kind, "param": st.param, "status": "done",
            "inputs_hash": h, "output_id": uuid.uuid4().hex, "upstream": list(st.deps),
            "recipe": self.recipe.name, "recipe_sections": {s: self.recipe.section_hash(s) for s in st.spec.sections},
            "code_version": st.spec.version, "git_commit": git_commit(), "seed": self.recipe.seed,
            "packages": package_versions(), "wall_seconds": round(wall, 3),
            "cpu_seconds": round(time.process_time() - cpu0, 3), "device": device,
            "device_seconds": round(dev, 3), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        manifest.update(extra)
        self.store.commit(st.name, tmp, manifest)
        self.echo(f"{tag} done in {wall:.1f}s")
        return Outcome(st.name, "done", wall)

    def status_rows(self) -> list[dict]:
        rows = []
        for st in self.stages():
            m = self.store.manifest(st.name)
            h = inputs_hash(self.recipe, st, self.store)
            if m and m.get("status") == "done":
                state = "done" if m.get("inputs_hash") == h else "stale"
            elif self.store.failure(st.name):
                state = "failed"
            else:
                state = "pending"
            rows.append({"stage": st.name, "state": state, "wall_seconds": (m or {}).get("wall_seconds"),
                         "device_seconds": (m or {}).get("device_seconds"), "finished_at": (m or {}).get("finished_at")})
        return rows
