"""The paper's six merge methods, each mapped onto a mergekit 0.1.5 method and its parameters.

One explicit registry (``METHODS``): adding a method is one entry here plus one test. The parameter names
are mergekit's (``merge_methods/registry.py``, ``generalized_task_arithmetic.py``, ``linear.py``,
``sce.py`` in mergekit 0.1.5): per-model ``weight``/``density``, shared ``lambda``/``normalize``/``rescale``,
and SCE's ``select_topk``.

Defaults come from ``harness.recipe.MergeStage`` (the paper's settings, see
``shared/reference/paper_settings.md``): λ = 1.0, weight 1.0 per model, TIES density 0.2, DARE density
0.8 (rescaled), SCE ``select_topk`` 1.0, seed 0.

Semantics as mergekit computes them (Δᵢ = Mᵢ − base, all per tensor):

* ``average`` → ``linear``: Σ wᵢ·Mᵢ / Σ wᵢ (base not an input; it only checks compatibility).
* ``ta`` → ``task_arithmetic``: base + λ·Σ wᵢ·Δᵢ (``normalize: false``).
* ``ties`` → ``ties``: each Δᵢ trimmed to its top-``density`` magnitudes **per tensor** (the released
  MergeLM code trims globally over each model's flattened task vector: a documented difference), sign
  elected by the sign of Σ wᵢ·Δᵢ, disjoint weighted mean (``normalize: true``), times λ.
* ``ties_dare`` → ``dare_ties``: Bernoulli(``density``) drop per element (seeded), survivors rescaled so
  the tensor's L1 norm is kept (mergekit's ``rescale``; ≈ 1/density), then TIES' sign election and
  disjoint mean. ``normalize: true`` is set explicitly: mergekit's own default for ``dare_ties`` is a
  plain sum, the paper's "DARE then TIES" is the disjoint mean.
* ``ta_dare`` → ``dare_linear``: the same DARE drop + rescale, then task arithmetic (a sum, times λ).
* ``sce`` → ``sce``: optional variance selection (``select_topk`` < 1), sign election, per-tensor
  weights ∝ mean squared Δᵢ, weighted disjoint mean. SCE takes no per-model weight or λ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import unknown

KNOBS = ("weights", "density", "lambda", "select_topk")  # what a user can set; each method says which apply


@dataclass(frozen=True)
class Method:
    name: str  # ours (recipe / CLI)
    mergekit: str  # mergekit's merge_method
    knobs: tuple[str, ...]  # which of KNOBS apply
    density_default: str | None = None  # MergeStage field giving the default density
    fixed: dict[str, object] = field(default_factory=dict)  # shared mergekit parameters we always set
    uses_base: bool = True  # base_model passed to mergekit
    random: bool = False  # result depends on the seed
    summary: str = ""


METHODS: dict[str, Method] = {
    "average": Method("average", "linear", ("weights",), fixed={"normalize": True}, uses_base=False,
                      summary="weighted mean of the full weights"),
    "ta": Method("ta", "task_arithmetic", ("weights", "lambda"), fixed={"normalize": False},
                 summary="base + λ·Σ wᵢ·Δᵢ"),
    "ties": Method("ties", "ties", ("weights", "density", "lambda"), "ties_density", {"normalize": True},
                   summary="trim top-density per tensor, elect sign, disjoint mean"),
    "ties_dare": Method("ties_dare", "dare_ties", ("weights", "density", "lambda"), "dare_density",
                        {"normalize": True, "rescale": True}, random=True,
                        summary="random drop + L1 rescale, elect sign, disjoint mean"),
    "ta_dare": Method("ta_dare", "dare_linear", ("weights", "density", "lambda"), "dare_density",
                      {"normalize": False, "rescale": True}, random=True,
                      summary="random drop + L1 rescale, then task arithmetic"),
    "sce": Method("sce", "sce", ("select_topk",), summary="select (variance top-k), calculate, erase; merge"),
}


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise unknown("merge method", name, list(METHODS))
    return METHODS[name]


def mergekit_config(method: Method, base: str, models: list[str], *, weights: list[float], density: float | None,
                    lambda_: float, select_topk: float, dtype: str, out_dtype: str | None) -> dict:
    """The mergekit YAML configuration (as a dict) for one merge. Paths are written as given."""
    per_model: list[dict] = []
    for path, w in zip(models, weights, strict=True):
        params: dict[str, float] = {}
        if "weights" in method.knobs:
            params["weight"] = float(w)
        if "density" in method.knobs and density is not None:
            params["density"] = float(density)
        per_model.append({"model": path, "parameters": params} if params else {"model": path})
    shared: dict[str, object] = dict(method.fixed)
    if "lambda" in method.knobs:
        shared["lambda"] = float(lambda_)
    if "select_topk" in method.knobs:
        shared["select_topk"] = float(select_topk)
    cfg: dict = {"merge_method": method.mergekit, "models": per_model, "dtype": dtype}
    if method.uses_base:
        cfg["base_model"] = base
    if shared:
        cfg["parameters"] = shared
    if out_dtype:
        cfg["out_dtype"] = out_dtype
    return cfg
