"""The stage table and the planner: a recipe -> an ordered DAG of stages.

One explicit table maps a stage kind to the function that builds it, the code version that goes into its
hash, and the recipe sections it reads. Adding a stage kind = one line here + one function.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from harness.errors import NotBuiltYet, unknown
from harness.recipe import DOMAINS, Recipe, Resources


@dataclass(frozen=True)
class Kind:
    fn: str  # "module:function"
    version: str  # bump when the stage's code changes what it produces
    sections: tuple[str, ...]  # recipe sections whose content the output depends on
    issue: str  # where the capability is specified
    resources: str | None = None  # recipe section whose `resources` a Ray task of this kind asks for (None: 1 CPU)


KINDS: dict[str, Kind] = {
    "base": Kind("harness.model.base_stage:base_stage", "4", ("base", "data"), "#2", "base"),
    "sft": Kind("harness.train.stages:sft_stage", "3", ("sft", "data"), "#6", "sft"),
    "rl": Kind("harness.train.stages:grpo_stage", "4", ("grpo", "grpo_overrides", "data", "sandbox"), "#6", "grpo"),
    # multi-task GRPO reads its own section only: changing it must not retrain the four single-domain models
    "rl-multi": Kind("harness.train.stages:grpo_stage", "4", ("rl_multi", "data", "sandbox"), "#6", "rl_multi"),
    "merge": Kind("harness.merge.stages:merge_stage", "1", ("merge",), "#7", "merge"),
    "opd": Kind("harness.train.stages:opd_stage", "3", ("opd", "data"), "#6", "opd"),
    "eval": Kind("harness.eval.stages:eval_stage", "3", ("eval", "data", "sandbox"), "#12", "eval"),
    "leaderboard": Kind("leaderboard.stages:leaderboard_stage", "1", ("eval",), "#12"),
    "analysis": Kind("harness.analysis.stages:analysis_stage", "1", ("eval",), "#7"),
    "report": Kind("harness.pipeline.report:report_stage", "1", ("eval",), "#8"),
}

MERGE_STAGE = {"average": "average", "ta": "ta", "ties": "ties", "ties_dare": "ties-dare", "ta_dare": "ta-dare",
               "sce": "sce"}


@dataclass(frozen=True)
class Stage:
    name: str
    kind: str
    param: str | None
    deps: tuple[str, ...]

    @property
    def spec(self) -> Kind:
        return KINDS[self.kind]

    def function(self) -> Callable:
        return resolve(self.name, self.spec)


def resolve(name: str, spec: Kind) -> Callable:
    """The stage function ``spec.fn`` names (imported here, or in a Ray worker from the spec the driver sent)."""
    module, _, attr = spec.fn.partition(":")
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        if e.name and module.startswith(e.name):
            raise NotBuiltYet(f"stage {name}: not built yet ({module} does not exist; issue {spec.issue})") from None
        raise
    fn = getattr(mod, attr, None)
    if fn is None:
        raise NotBuiltYet(f"stage {name}: not built yet ({spec.fn} missing; issue {spec.issue})")
    return fn


def resources_of(recipe: Recipe, stage: Stage) -> Resources:
    """What a Ray task building ``stage`` asks for: its recipe section's ``resources`` (1 CPU for the rest)."""
    section = stage.spec.resources
    if section is None:
        return Resources()
    if section == "grpo" and stage.param in DOMAINS:
        return recipe.grpo_for(stage.param).resources
    return getattr(recipe, section).resources


def plan(recipe: Recipe) -> list[Stage]:
    """All stages of the study in a valid execution order."""
    rl = [f"rl-{d}" for d in DOMAINS]
    merges = [f"merge-{MERGE_STAGE[m]}" for m in recipe.merge.methods]
    stages = [Stage("base", "base", None, ()), Stage("sft", "sft", None, ("base",))]
    stages += [Stage(f"rl-{d}", "rl", d, ("sft",)) for d in DOMAINS]
    stages.append(Stage("rl-multi", "rl-multi", "multi", ("sft",)))
    stages += [Stage(m, "merge", m.removeprefix("merge-"), ("sft", *rl)) for m in merges]
    stages.append(Stage("opd-multi", "opd", "multi", ("sft", *rl)))
    variants = ["base", "sft", *rl, "rl-multi", *merges, "opd-multi"]
    stages += [Stage(f"eval-{v}", "eval", v, (v,)) for v in variants]
    evals = tuple(f"eval-{v}" for v in variants)
    stages.append(Stage("leaderboard", "leaderboard", None, evals))
    stages.append(Stage("analysis", "analysis", None, ("sft", *rl, "rl-multi", *merges, "opd-multi", *evals)))
    stages.append(Stage("report", "report", None, ("leaderboard", "analysis")))
    return stages


def select(stages: list[Stage], until: str | None) -> list[Stage]:
    """`until` and its ancestors, in order (all stages when None)."""
    if until is None:
        return stages
    by_name = {s.name: s for s in stages}
    if until not in by_name:
        raise unknown("stage", until, list(by_name))
    keep: set[str] = set()
    todo = [until]
    while todo:
        n = todo.pop()
        if n not in keep:
            keep.add(n)
            todo.extend(by_name[n].deps)
    return [s for s in stages if s.name in keep]
