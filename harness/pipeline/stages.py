"""The stage table and the planner: a recipe -> an ordered DAG of stages.

One explicit table maps a stage kind to the function that builds it, the code version that goes into its
hash, and the recipe sections it reads. Adding a stage kind = one line here + one function.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from harness.errors import NotBuiltYet, unknown
from harness.recipe import DOMAINS, Recipe


@dataclass(frozen=True)
class Kind:
    fn: str  # "module:function"
    version: str  # bump when the stage's code changes what it produces
    sections: tuple[str, ...]  # recipe sections whose content the output depends on
    issue: str  # where the capability is specified


KINDS: dict[str, Kind] = {
    "base": Kind("harness.model.base_stage:base_stage", "4", ("base", "data"), "#2"),
    "sft": Kind("harness.train.stages:sft_stage", "3", ("sft", "data"), "#6"),
    "rl": Kind("harness.train.stages:grpo_stage", "4", ("grpo", "grpo_overrides", "data", "sandbox"), "#6"),
    # multi-task GRPO reads its own section only: changing it must not retrain the four single-domain models
    "rl-multi": Kind("harness.train.stages:grpo_stage", "4", ("rl_multi", "data", "sandbox"), "#6"),
    "merge": Kind("harness.merge.stages:merge_stage", "1", ("merge",), "#7"),
    "opd": Kind("harness.train.stages:opd_stage", "3", ("opd", "data"), "#6"),
    "eval": Kind("harness.eval.stages:eval_stage", "3", ("eval", "data", "sandbox"), "#12"),
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
        module, _, attr = self.spec.fn.partition(":")
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name and module.startswith(e.name):
                raise NotBuiltYet(f"stage {self.name}: not built yet ({module} does not exist; issue {self.spec.issue})") from None
            raise
        fn = getattr(mod, attr, None)
        if fn is None:
            raise NotBuiltYet(f"stage {self.name}: not built yet ({self.spec.fn} missing; issue {self.spec.issue})")
        return fn


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
