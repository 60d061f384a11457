"""Executors: which planned stage is built when, and where.

``execute`` walks the plan the same way for every executor: a stage whose upstream stages are all finished gets
its inputs hash (from their final manifests), is skipped when a matching manifest exists, and is otherwise handed to
the pool; a failed stage blocks its descendants and, without ``--keep-going``, no further stage is started (those
already running finish and are kept). The pools differ only in where ``runner.build_stage`` runs:

- ``LocalPool``: here, one stage at a time, in plan order (the default);
- ``RayPool``: each stage is a Ray task (``ray`` is the optional extra ``mixmerge[ray]``) asking for the
  resources its recipe section declares, so independent stages run side by side on a cluster. The task runs the
  very same ``build_stage`` against the run store, which must be on a filesystem every node mounts at the same
  path; hashing, the atomic commit, resume and the manifests (the compute ledger) are therefore identical.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from harness.errors import UserError
from harness.pipeline.runner import Outcome, build_stage, inputs_hash
from harness.pipeline.stages import Stage, resources_of
from harness.recipe import Recipe

if TYPE_CHECKING:
    from harness.pipeline.runner import Runner

EXECUTORS = ("local", "ray")
# what a Ray worker needs from the driver's environment (Ray starts workers from the raylet's, not ours)
# (never CUDA_VISIBLE_DEVICES: Ray sets it per task to the GPUs it assigned)
FORWARD_ENV = ("PYTHONPATH", "NLTK_DATA", "DOCKER_HOST", "HF_HOME", "HF_HUB_OFFLINE", "OMP_NUM_THREADS",
               "OMP_WAIT_POLICY", "TOKENIZERS_PARALLELISM")


def execute(runner: Runner, stages: list[Stage], force: set[str], keep_going: bool, pool) -> list[Outcome]:
    index = {s.name: i for i, s in enumerate(stages, 1)}
    tag = lambda name: f"[{index[name]:>2}/{len(stages)}] {name:<18}"  # noqa: E731
    pending = list(stages)
    finished: set[str] = set()  # done or cached
    blocked: set[str] = set()  # failed, not built, or below one of those
    outcomes: list[Outcome] = []
    stopping = False

    def record(o: Outcome) -> None:
        nonlocal stopping
        outcomes.append(o)
        if o.state in ("done", "cached"):
            finished.add(o.stage)
            return
        blocked.add(o.stage)
        if o.state == "not-built":
            runner.echo(f"{tag(o.stage)} not built yet: {o.message}")
        elif o.state == "failed":
            runner.echo(f"{tag(o.stage)} FAILED: {o.message}")
        if o.state != "blocked" and not keep_going:
            stopping = True

    while pending or pool.running:
        progressed = True
        while progressed and not stopping:
            progressed = False
            for st in list(pending):
                if blocked.intersection(st.deps):
                    pending.remove(st)
                    runner.echo(f"{tag(st.name)} blocked (an upstream stage did not finish)")
                    record(Outcome(st.name, "blocked"))
                    progressed = True
                    break
                if not finished.issuperset(st.deps):
                    continue
                h = inputs_hash(runner.recipe, st, runner.store)
                if st.name not in force and runner.store.is_done(st.name, h):
                    pending.remove(st)
                    runner.echo(f"{tag(st.name)} cached")
                    record(Outcome(st.name, "cached"))
                    progressed = True
                    break
                if not pool.has_room():
                    break
                pending.remove(st)
                runner.echo(f"{tag(st.name)} running ...{pool.where(st)}")
                pool.submit(st, h)
                progressed = True
                break
        if not pool.running:
            break  # nothing in flight and nothing more can start
        o = pool.wait()
        if o.state == "done":
            runner.echo(f"{tag(o.stage)} done in {o.seconds:.1f}s")
        record(o)
    return outcomes


class LocalPool:
    """Builds the submitted stage here, at once; one at a time."""

    def __init__(self, recipe: Recipe, root):
        self.recipe, self.root = recipe, root
        self._done: list[Outcome] = []
        self.running: dict[str, Stage] = {}

    def has_room(self) -> bool:
        return not self.running

    def where(self, st: Stage) -> str:
        return ""

    def submit(self, st: Stage, h: str) -> None:
        self.running[st.name] = st
        self._done.append(build_stage(self.recipe, self.root, st, st.spec, h))

    def wait(self) -> Outcome:
        o = self._done.pop(0)
        self.running.pop(o.stage)
        return o

    def close(self) -> None:
        pass


def _remote_build(recipe: Recipe, root: str, st: Stage, spec, h: str, cwd: str) -> Outcome:
    """What a Ray worker runs: the driver's working directory (recipes may name relative paths), then the stage."""
    if os.path.isdir(cwd):
        os.chdir(cwd)
    from pathlib import Path

    return build_stage(recipe, Path(root), st, spec, h)


class RayPool:
    """Each submitted stage becomes a Ray task with its section's resources; ``wait`` returns the first to end."""

    def __init__(self, recipe: Recipe, root, address: str | None):
        try:
            import ray
        except ImportError:
            raise UserError("--executor ray needs Ray: pip install 'mixmerge[ray]' (ray==2.60.0), or use "
                            "--executor local") from None
        self.ray, self.recipe, self.root = ray, recipe, root
        self.owns = not ray.is_initialized()
        if self.owns:
            env = {k: os.environ[k] for k in os.environ if k in FORWARD_ENV or k.startswith("MIXMERGE_")}
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False,
                         runtime_env={"env_vars": env}, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise UserError(f"--ray-address {address}: no Ray cluster answers ({e}); start one with "
                                "`ray start --head` or leave --ray-address out to start Ray here") from None
        self._task = ray.remote(max_retries=0)(_remote_build)
        self.running: dict[Any, Stage] = {}
        self.refused: list[Outcome] = []  # asks for more than the whole cluster has: would wait for ever

    def has_room(self) -> bool:
        return True  # Ray queues a task until a node has its resources

    def options(self, st: Stage) -> dict:
        r = resources_of(self.recipe, st)
        opts: dict = {"num_cpus": r.cpus, "num_gpus": r.gpus, "name": f"mixmerge:{st.name}"}
        if r.memory_gb:
            opts["memory"] = int(r.memory_gb * 2**30)
        return opts

    def where(self, st: Stage) -> str:
        o = self.options(st)
        mem = f", {o['memory'] / 2**30:g} GiB" if "memory" in o else ""
        return f" (ray task: {o['num_cpus']:g} CPU, {o['num_gpus']:g} GPU{mem})"

    def submit(self, st: Stage, h: str) -> None:
        opts, have = self.options(st), self.ray.cluster_resources()
        short = [f"{opts[k]:g} {name} (the cluster has {have.get(res, 0):g})"
                 for k, res, name in (("num_gpus", "GPU", "GPU"), ("num_cpus", "CPU", "CPU"))
                 if opts[k] > have.get(res, 0)]
        if short:
            self.running[st.name] = st
            self.refused.append(Outcome(st.name, "failed", message=(
                f"stage {st.name} asks Ray for {' and '.join(short)}: it would wait for ever; add such nodes to "
                f"the cluster or lower {st.spec.resources or 'its section'}.resources in the recipe")))
            return
        ref = self._task.options(**self.options(st)).remote(self.recipe, str(self.root), st, st.spec, h, os.getcwd())
        self.running[ref] = st

    def wait(self) -> Outcome:
        if self.refused:
            o = self.refused.pop(0)
            self.running.pop(o.stage)
            return o
        [ref], _ = self.ray.wait(list(self.running), num_returns=1)
        st = self.running.pop(ref)
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayError as e:  # the worker died (OOM kill, node lost): not a stage's own error
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return Outcome(st.name, "failed", message=f"Ray task failed: {first}; nothing was committed, re-run "
                                                       "to build it again")

    def close(self) -> None:
        if self.owns and self.ray.is_initialized():
            self.ray.shutdown()


def make_pool(kind: str, address: str | None, recipe: Recipe, root) -> LocalPool | RayPool:
    if kind not in EXECUTORS:
        from harness.errors import unknown

        raise unknown("executor", kind, list(EXECUTORS))
    if kind == "ray":
        return RayPool(recipe, root, address)
    if address:
        raise UserError(f"--ray-address {address} given with the local executor: add --executor ray")
    return LocalPool(recipe, root)
