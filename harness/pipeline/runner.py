"""Builds a recipe's stages: skip what a matching manifest says is done, build the rest atomically.

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
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from harness.errors import NotBuiltYet, UserError, unknown
from harness.pipeline.context import StageContext
from harness.pipeline.stages import Kind, Stage, plan, resolve, select
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
    state: str  # "cached" | "done" | "failed" | "not-built" | "blocked"
    seconds: float = 0.0
    message: str = ""


@contextmanager
def stage_log(path: Path):
    """Everything logged at INFO or above while a stage builds (ours, the data loaders', the libraries') also goes
    to its log file (appended: the log of a failed attempt stays beside the next one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    top = logging.getLogger()
    level = top.level
    if top.getEffectiveLevel() > logging.INFO:
        top.setLevel(logging.INFO)
    top.addHandler(handler)
    try:
        yield
    finally:
        top.removeHandler(handler)
        top.setLevel(level)
        handler.close()


def build_stage(recipe: Recipe, root: Path, stage: Stage, spec: Kind, h: str) -> Outcome:
    """Build one stage into a temporary directory and commit it with its manifest (or record its failure).

    A plain function of picklable arguments, so the Ray executor runs exactly this in a worker: the atomic
    store, the manifest and the failure record are the same under every executor."""
    store = RunStore(root)
    try:
        fn = resolve(stage.name, spec)
    except NotBuiltYet as e:
        return Outcome(stage.name, "not-built", message=str(e))
    tmp = store.begin(stage.name)
    logfile = store.log_path(stage.name)
    ctx = StageContext(
        recipe=recipe, name=stage.name, kind=stage.kind, param=stage.param, out=tmp,
        inputs={d: store.stage_dir(d) for d in stage.deps}, run_root=root, seed=recipe.seed,
        log=logging.getLogger(f"mixmerge.stage.{stage.name}"), log_file=logfile,
    )
    t0, cpu0 = time.time(), time.process_time()
    with stage_log(logfile):
        ctx.log.info("building %s (inputs %s) on %s pid %d", stage.name, h, platform.node(), os.getpid())
        try:
            extra = fn(ctx) or {}
        except UserError as e:
            ctx.log.error("%s", e)
            store.fail(stage.name, tmp, str(e))
            return Outcome(stage.name, "failed", time.time() - t0, f"{e} (log: {logfile})")
        except Exception as e:  # a bug in a stage must not lose the finished stages: record and stop
            tb = traceback.format_exc()
            ctx.log.error("%s", tb)
            store.fail(stage.name, tmp, tb)
            return Outcome(stage.name, "failed", time.time() - t0,
                           f"{type(e).__name__}: {e} (traceback in {logfile})")
        wall = time.time() - t0
        dev, device = device_seconds_default(wall)
        manifest = {
            "stage": stage.name, "kind": stage.kind, "param": stage.param, "status": "done",
            "inputs_hash": h, "output_id": uuid.uuid4().hex, "upstream": list(stage.deps),
            "recipe": recipe.name, "recipe_sections": {s: recipe.section_hash(s) for s in spec.sections},
            "code_version": spec.version, "git_commit": git_commit(), "seed": recipe.seed,
            "packages": package_versions(), "wall_seconds": round(wall, 3),
            "cpu_seconds": round(time.process_time() - cpu0, 3), "device": device,
            "device_seconds": round(dev, 3), "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "started_unix": round(t0, 3), "finished_unix": round(time.time(), 3), "host": platform.node(),
        }
        manifest.update(extra)
        store.commit(stage.name, tmp, manifest)
        ctx.log.info("done in %.1fs", wall)
    return Outcome(stage.name, "done", wall)


class Runner:
    """Hashing, skip/resume and manifests of one recipe's run store; which stage runs when and where is the
    executor's (``harness.pipeline.executor``: local in order, or Ray)."""

    def __init__(self, recipe: Recipe, runs_dir: Path = Path("runs"), *, echo=print):
        self.recipe = recipe
        self.root = Path(runs_dir).absolute() / recipe.name
        self.store = RunStore(self.root)
        self.echo = echo

    def stages(self, until: str | None = None) -> list[Stage]:
        return select(plan(self.recipe), until)

    def run(self, until: str | None = None, force: tuple[str, ...] = (), keep_going: bool = False,
            executor: str = "local", ray_address: str | None = None) -> list[Outcome]:
        from harness.pipeline import executor as ex

        stages = self.stages(until)
        names = {s.name for s in stages}
        for f in force:
            if f not in names:
                raise unknown("stage", f, sorted(names))
        t_all = time.time()
        pool = ex.make_pool(executor, ray_address, self.recipe, self.root)
        try:
            outcomes = ex.execute(self, stages, set(force), keep_going, pool)
        finally:
            pool.close()
        done = sum(o.state in ("done", "cached") for o in outcomes)
        self.echo(f"{done}/{len(stages)} stages done in {time.time() - t_all:.1f}s; run store: {self.root}")
        return outcomes

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
