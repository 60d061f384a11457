"""Recipes: YAML validated by pydantic (``extra="forbid"`` everywhere).

Field descriptions are the single source of defaults and help. ``load_recipe`` turns every problem
(bad YAML, unknown field, wrong type, missing model path) into one ``UserError`` line naming the
file, the field path and the problem.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_serializer,
    model_validator,
)

from harness.errors import UserError

DOMAINS = ("math", "code", "science", "if")  # the four RL domains of the study
# where a stage runs (Ray resources) does not change what it produces: never hashed
HASH_EXCLUDED = {s: {"resources"} for s in ("base", "sft", "grpo", "rl_multi", "opd", "merge", "eval")}
# fields added after runs existed, hashed only when set: their default leaves every output as it was
HASHED_WHEN_SET = (("eval", "data"),)
RECIPES_DIR = Path(__file__).resolve().parent.parent / "recipes"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Bounded numbers: a recipe that asks for a negative step count or a density above 1 fails at load time.
Pos = Annotated[int, Field(gt=0)]
NonNeg = Annotated[int, Field(ge=0)]
PosF = Annotated[float, Field(gt=0)]
NonNegF = Annotated[float, Field(ge=0)]
Frac = Annotated[float, Field(gt=0, le=1)]  # a share that may be all but not nothing (densities, top-p)
Ratio = Annotated[float, Field(ge=0, le=1)]  # a share that may be nothing


def _domain_names(*, rl_only: bool) -> tuple[str, ...]:
    from domains.registry import DOMAINS as REGISTRY  # lazily: the registry imports every domain package
    from domains.registry import RL_DOMAINS

    return RL_DOMAINS if rl_only else tuple(REGISTRY)


def _check_domain_keys(keys, *, rl_only: bool) -> None:
    """Every key names a registered domain (RL domains only where only they train); all bad keys at once."""
    known = _domain_names(rl_only=rl_only)
    bad = [k for k in keys if k not in known]
    if bad:
        parts = []
        for k in bad:
            close = difflib.get_close_matches(str(k), known, n=1)
            parts.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        kind = "RL domain" if rl_only else "domain"
        raise ValueError(f"unknown {kind} {', '.join(parts)}; known: {', '.join(known)}")


def _rl_key(k: str) -> str:
    _check_domain_keys([k], rl_only=True)
    return k


def _any_key(k: str) -> str:
    _check_domain_keys([k], rl_only=False)
    return k


RLDomain = Annotated[str, AfterValidator(_rl_key)]  # a dict key naming an RL domain of the registry
AnyDomain = Annotated[str, AfterValidator(_any_key)]  # a dict key naming any registered domain


class Resources(Section):
    """What one stage of this section asks a Ray cluster for (`executor: ray`); the local executor ignores it.
    Not part of any stage's hash: where a stage runs does not change what it produces."""

    cpus: NonNegF = Field(1.0, description="CPU cores (Ray num_cpus)")
    gpus: NonNegF = Field(0.0, description="GPUs (Ray num_gpus); the paper's RL and eval stages take a node's 8")
    memory_gb: PosF | None = Field(None, description="memory reserved for the stage (Ray memory); null = none")


class Executor(Section):
    """How `mixmerge reproduce` runs the planned stages (`--executor` / `--ray-address` override it)."""

    kind: Literal["local", "ray"] = Field("local", description="local: in order, here; ray: independent stages "
                                          "side by side as Ray tasks (pip install 'mixmerge[ray]')")
    address: str | None = Field(None, description="Ray cluster address (ray://… or HOST:PORT); null starts Ray here")


class MicroModel(Section):
    """Tiny Qwen3 built from scratch for the CPU recipe (the notes: ~1 M parameters learn GRPO on CPU)."""

    vocab_size: Pos = Field(512, description="byte-level BPE vocabulary size (digits split one per token)")
    hidden_size: Pos = Field(128, description="model width")
    intermediate_size: Pos = Field(512, description="FFN width")
    num_hidden_layers: Pos = Field(4, description="transformer blocks")
    num_attention_heads: Pos = Field(4, description="query heads")
    num_key_value_heads: Pos = Field(2, description="KV heads (GQA)")
    head_dim: Pos = Field(32, description="per-head width")
    max_position_embeddings: Pos = Field(512, description="context length")
    pretrain_steps: NonNeg = Field(200, description="causal-LM steps on the synthetic corpus")
    pretrain_max_length: Pos = Field(160, description="tokens per pretraining text (the micro texts are short)")
    pretrain_lr: PosF = Field(2e-3, description="peak learning rate (cosine)")
    pretrain_batch_size: Pos = Field(32, description="sequences per step")
    corpus_texts: Pos = Field(8000, description="synthetic texts across the domains for the tokenizer + pretraining")


class BaseStage(Section):
    model: str | None = Field(
        None, description="hub id or local path of the base model; null builds the micro model from `micro`"
    )
    revision: str | None = Field(None, description="hub revision when `model` is a hub id")
    micro: MicroModel = Field(default_factory=MicroModel)
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")


class DomainData(Section):
    """Where a domain's data comes from: `micro` (generated from the seed) or a source of the domain's loaders."""

    source: str = Field("micro", description="'micro', 'nemotron' (the Nemotron-3 Nano RL blend), or a JSONL path")
    rl: NonNeg = Field(1200, description="RL prompts (micro: generated; otherwise: a cap, 0 = no cap)")
    sft: NonNeg = Field(1200, description="SFT examples with reference responses (micro)")
    eval: NonNeg = Field(200, description="held-out eval problems (micro)")


def default_data() -> dict[str, DomainData]:
    """Micro data sizes per domain; micro science's problem space holds ~850 RL and ~750 SFT problems."""
    out = {d: DomainData() for d in (*DOMAINS, "general")}
    out["science"] = DomainData(rl=560, sft=520)
    return out


class SFTStage(Section):
    backend: Literal["local", "openrlhf"] = "local"
    blend: dict[str, NonNegF] = Field(
        default_factory=lambda: {d: 0.25 for d in DOMAINS},
        description="domain -> proportion of SFT examples (normalised); with `dataset`: its subsets' proportions",
    )
    dataset: str | None = Field(None, description="SFT dataset for non-micro recipes (hub id or path)")
    samples: Pos | None = Field(None, description="total SFT samples (paper: 14,121,873)")
    epochs: PosF = Field(1.0, description="passes over the blend (paper: 2)")
    max_steps: Annotated[int, Field(ge=-1)] = Field(-1, description="optimizer steps; -1 = from epochs")
    learning_rate: PosF = Field(2e-3, description="peak lr (paper: 5e-5 cosine to 5e-6)")
    min_lr_ratio: Ratio = Field(0.1, description="cosine floor as a fraction of the peak")
    warmup_ratio: Annotated[float, Field(ge=0, lt=1)] = Field(0.1, description="warm-up fraction")
    adam_betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.9, 0.95)
    weight_decay: NonNegF = 0.1
    batch_size: Pos = Field(64, description="global batch (paper: 512)")
    max_length: Pos = Field(256, description="max tokens per example")
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")

    @model_validator(mode="after")
    def _some_blend(self):
        if self.dataset is None:  # micro: the blend is over the registry's domains (else over `dataset`'s subsets)
            try:
                _check_domain_keys(self.blend, rl_only=False)
            except ValueError as e:
                raise ValueError(f"blend: {e}") from None
        if self.blend and sum(self.blend.values()) <= 0:
            raise ValueError("blend: proportions sum to 0; give at least one domain a positive share")
        return self


def _group_size(n: int) -> int:
    if n < 2:
        raise ValueError(f"group_size {n} < 2: GRPO normalises rewards within a group; use >= 2")
    return n


class GRPOStage(Section):
    backend: Literal["local", "openrlhf"] = "local"
    steps: Pos = Field(150, description="optimizer steps (paper: 200 single-domain)")
    prompts_per_step: Pos = Field(8, description="prompts per rollout batch (paper: 128)")
    group_size: Annotated[int, AfterValidator(_group_size)] = Field(
        8, description="samples per prompt, GRPO group (paper: 16)"
    )
    learning_rate: PosF = Field(3e-5, description="constant after warm-up (paper: 2e-6)")
    warmup_steps: NonNeg = 10
    adam_betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.9, 0.98)
    weight_decay: NonNegF = 0.1
    kl_coef: NonNegF = Field(0.0, description="KL penalty beta (paper: 0.0, reference loaded)")
    eps_low: Ratio = Field(0.2, description="lower clip")
    eps_high: NonNegF = Field(0.28, description="upper clip ('clip-higher')")
    temperature: PosF = 1.0
    top_p: Frac = 1.0
    max_prompt_length: Pos = Field(256, description="paper: 2,048")
    max_completion_length: Pos = Field(
        96, description="paper: 32,768; micro references: math <= 37 tokens, science <= 25, code <= 64, IF p90 81"
    )
    think_gate: bool = Field(False, description="reward 0 without a closing </think> (the paper's format gate)")
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")


def _partial(model: type[Section], name: str) -> type[Section]:
    """``model`` with every field optional (None = not overridden), keeping each field's type and bounds."""
    fields: dict[str, Any] = {}
    for fname, f in model.model_fields.items():
        ann = Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation
        fields[fname] = (ann | None, Field(None, description=f.description))
    return create_model(name, __base__=Section, __doc__=f"Fields of {model.__name__} that differ", **fields)


GRPOOverride = _partial(GRPOStage, "GRPOOverride")


class MultiGRPOStage(GRPOStage):
    steps: Pos = Field(200, description="paper: 400")
    mix: dict[RLDomain, NonNegF] = Field(
        default_factory=lambda: {d: 0.25 for d in DOMAINS},
        description="domain -> share of prompts in each mixed batch (paper: the blend's natural proportions)",
    )


class OPDStage(Section):
    backend: Literal["local"] = Field("local", description="OpenRLHF has no multi-teacher OPD; local TRL path")
    steps: Pos = Field(100, description="paper: 200")
    prompts_per_step: Pos = Field(8, description="paper: 256")
    samples_per_prompt: Pos = Field(4, description="paper: 4")
    learning_rate: PosF = Field(1e-5, description="paper: 1e-6")
    temperature: PosF = 1.0
    max_completion_length: Pos = Field(96, description="the longest domain's (IF); paper: 16,384")
    mix: dict[RLDomain, NonNegF] = Field(default_factory=lambda: {d: 0.25 for d in DOMAINS})
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")


class MergeStage(Section):
    methods: list[Literal["average", "ta", "ties", "ties_dare", "ta_dare", "sce"]] = Field(
        default_factory=lambda: ["average", "ta", "ties", "ties_dare", "ta_dare", "sce"]
    )
    weights: dict[RLDomain, float] = Field(
        default_factory=lambda: {d: 1.0 for d in DOMAINS}, description="per-model weight (paper: 1.0 each)"
    )
    lambda_: float = Field(1.0, alias="lambda", description="task-arithmetic scale (paper: 1.0)")
    ties_density: Frac = Field(0.2, description="TIES keeps the top 20% per task vector (paper)")
    dare_density: Frac = Field(0.8, description="DARE keeps 80% at random, rescale 1/0.8 (paper)")
    sce_topk: Frac = Field(1.0, description="SCE select_topk (paper: 1.0, no variance selection)")
    seed: NonNeg = Field(0, description="DARE seed (paper: 0)")
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SandboxSection(Section):
    backend: Literal["auto", "docker", "bwrap"] = "auto"
    image: str = "mixmerge-sandbox:latest"
    workers: Pos | None = Field(None, description="warm workers (default: cores)")
    timeout_s: PosF = Field(10.0, description="wall-clock limit per program (paper: 10 s); LiveCodeBench-style "
                            "checks get (test_timeout_s + 1) x tests + 5 s instead (lcb_runner)")
    test_timeout_s: PosF = Field(6.0, description="limit of each test of a stdio / call-based check "
                                 "(lcb_runner --timeout, runner/parser.py:93)")
    cpu_s: PosF = Field(10.0, description="CPU-time limit per program")
    memory_mb: Pos = Field(1024, description="memory cap per program (paper: 4 GB)")
    pids: Pos = Field(64, description="process cap")
    output_bytes: Pos = Field(1 << 20, description="stdout/stderr cap, truncated and flagged")
    tmpfs_mb: Pos = Field(64, description="size of the only writable place")
    max_infra_failure_share: float = Field(
        0.1, ge=0.0, le=1.0, description="a training step stops the stage when more than this share of its samples "
        "could not be verified (sandbox or engine failure, after one retry); those samples are masked, not scored 0")


class LCBWindowSection(Section):
    """A LiveCodeBench window: the release files it reads and its inclusive contest-date range (the paper does not
    state its windows; the defaults are the harnesses' it compares with, ``domains/code/lcb.py: LCB_WINDOWS``)."""

    release: str = Field(..., description="'release_vN' (test.jsonl .. testN.jsonl) or 'vN' (testN.jsonl alone)")
    start: date | None = Field(None, description="first contest date, inclusive (null: no bound)")
    end: date | None = Field(None, description="last contest date, inclusive (null: no bound)")
    why: str = Field("", description="where the window comes from (shown in the suite's description)")


def default_lcb_windows() -> dict[str, LCBWindowSection]:
    from domains.code.lcb import LCB_WINDOWS

    return {n: LCBWindowSection(release=w.release, start=w.start, end=w.end, why=w.why) for n, w in LCB_WINDOWS.items()}


class EvalStage(Section):
    suites: list[str] = Field(
        default_factory=lambda: ["micro-math", "micro-code", "micro-science", "micro-if", "micro-general"]
    )
    public_suites_if_present: bool = Field(True, description="also score public suites whose data is on disk")
    k: Pos | None = Field(None, description="samples per problem (default: the suite's K)")
    limit: Pos | None = Field(None, description="first N problems per suite")
    backend: Literal["transformers", "vllm", "openai"] = "transformers"
    temperature: NonNegF | None = Field(None, description="override the suite's (paper: 1.0); 0 = greedy")
    top_p: Frac | None = Field(None, description="override the suite's (paper: 0.7)")
    max_new_tokens: Pos | None = None
    batch_size: Pos = 64
    think_gate: bool = Field(False, description="score 0 for a sample without a closing </think> (the paper's "
                             "scorer gates AIME this way); results record whether it was on")
    hle_judge_url: str | None = Field(None, description="OpenAI-compatible endpoint of an LLM judge for HLE's "
                                      "exact-match questions (official: o3-mini); unset = judge-free lower bound")
    hle_judge_model: str = Field("o3-mini", description="the HLE judge's model name")
    data: dict[str, str] = Field(
        default_factory=dict, description="suite -> local file in its published format (instead of its hub id); "
        "${MIXMERGE_EXTERNAL} stands for the external data directory (harness.paths)")
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")
    lcb_windows: dict[str, LCBWindowSection] = Field(
        default_factory=default_lcb_windows,
        description="LiveCodeBench suite -> its release files and inclusive date window (defaults: NeMo-Skills' v5 "
        "2024-08-01..2025-02-01, Qwen3's v6 2025-02-01..2025-05-01, all of test6.jsonl for lcb-v6-new)",
    )

    @model_validator(mode="after")
    def _known_lcb_suites(self):
        from domains.code.lcb import LCB_WINDOWS, LCBWindow

        known = list(LCB_WINDOWS)
        for name, w in self.lcb_windows.items():
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                raise ValueError(f"lcb_windows: unknown LiveCodeBench suite {name!r}"
                                 + (f"; did you mean {close[0]!r}?" if close else "") + f" (known: {', '.join(known)})")
            try:
                LCBWindow(w.release, w.start, w.end, w.why)
            except UserError as e:
                raise ValueError(f"lcb_windows.{name}: {e}") from None
        return self


def _set_fields(over: BaseModel | None, **dump) -> dict:
    """The fields an override sets (none for a domain without one)."""
    return {} if over is None else over.model_dump(exclude_unset=True, **dump)


class Recipe(Section):
    name: str = Field(..., description="run store folder: runs/<name>/")
    seed: NonNeg = 0
    base: BaseStage = Field(default_factory=BaseStage)
    data: dict[AnyDomain, DomainData] = Field(default_factory=default_data)
    sft: SFTStage = Field(default_factory=SFTStage)
    grpo: GRPOStage = Field(default_factory=GRPOStage)
    grpo_overrides: dict[RLDomain, GRPOOverride] = Field(
        default_factory=dict, description="RL domain -> GRPO fields that differ for that domain"
    )
    rl_multi: MultiGRPOStage = Field(default_factory=MultiGRPOStage)
    opd: OPDStage = Field(default_factory=OPDStage)
    merge: MergeStage = Field(default_factory=MergeStage)
    eval: EvalStage = Field(default_factory=EvalStage)
    sandbox: SandboxSection = Field(default_factory=SandboxSection)
    executor: Executor = Field(default_factory=Executor)
    gpu_hours: dict[str, NonNegF] = Field(
        default_factory=dict, description="stage -> GPU-hours estimate (paper recipe: from the paper's table)"
    )

    @field_serializer("grpo_overrides")
    def _overrides_as_written(self, v: dict) -> dict:
        # only the fields a recipe sets: hashes and dumps stay those of the plain dict this used to be
        return {d: _set_fields(o, mode="json") for d, o in v.items()}

    def section_hash(self, *paths: str) -> str:
        """Stable hash of some top-level sections (what a stage's output depends on)."""
        data = self.model_dump(mode="json", by_alias=True, exclude=HASH_EXCLUDED)
        for section, key in HASHED_WHEN_SET:
            if not data[section][key]:
                del data[section][key]
        sub = {p: data[p] for p in paths}
        return hashlib.sha256(json.dumps(sub, sort_keys=True).encode()).hexdigest()[:16]

    def with_grpo_steps(self, steps: int) -> Recipe:
        """This recipe with every single-domain GRPO run (and each domain's override) set to ``steps`` steps,
        validated again (benchmarks and the GPU check time a few steps of the real recipe)."""
        data = self.model_dump(mode="json", by_alias=True)
        data["grpo"]["steps"] = steps
        data["grpo_overrides"] = {d: {**o, "steps": steps} for d, o in data["grpo_overrides"].items()}
        return Recipe.model_validate(data)

    def grpo_for(self, domain: str) -> GRPOStage:
        return GRPOStage(**{**self.grpo.model_dump(), **_set_fields(self.grpo_overrides.get(domain))})


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p != "[key]") or "<root>"  # a bad dict key is named by itself


def _section_at(loc: tuple) -> type[BaseModel] | None:
    """The schema class that holds the field at ``loc`` (walking sections and ``dict[str, Section]`` values)."""
    parent: Any = Recipe
    parts = list(loc)
    while parts:
        f = getattr(parent, "model_fields", {}).get(parts.pop(0))
        ann = getattr(f, "annotation", None) if f else None
        if get_origin(ann) is dict and parts:
            ann, _ = get_args(ann)[1], parts.pop(0)
        if get_origin(ann) is not None:  # Optional[Section] and the like
            ann = next((a for a in get_args(ann) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        parent = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
        if parent is None:
            return None
    return parent


def _message(err: dict) -> str:
    """One error of the schema as the user should read it (unknown fields get a suggestion and the allowed)."""
    if err["type"] != "extra_forbidden":
        return err["msg"].removeprefix("Value error, ")
    parent = _section_at(err["loc"][:-1])
    fields = sorted(parent.model_fields) if parent else []
    close = difflib.get_close_matches(str(err["loc"][-1]), fields, n=1)
    msg = "unknown field" + (f"; did you mean {close[0]!r}?" if close else "")
    return msg + (f" (allowed: {', '.join(fields)})" if fields else "")


def resolve_recipe_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise UserError(f"{p}: recipe file not found")
        return p
    cand = RECIPES_DIR / f"{name_or_path}.yaml"
    if cand.exists():
        return cand
    available = sorted(q.stem for q in RECIPES_DIR.glob("*.yaml"))
    close = difflib.get_close_matches(str(name_or_path), available, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UserError(f"recipe {name_or_path!r} not found{hint} available: {', '.join(available)}")


def load_recipe(name_or_path: str | Path) -> Recipe:
    path = resolve_recipe_path(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise UserError(f"{path}{where}: invalid YAML: {getattr(e, 'problem', e)}") from None
    if not isinstance(raw, dict):
        raise UserError(f"{path}: a recipe is a YAML mapping, got {type(raw).__name__}")
    try:
        recipe = Recipe.model_validate(raw)
    except ValidationError as e:
        lines = [f"{path}: {_loc(err['loc'])}: {_message(err)}" for err in e.errors()]
        if len(lines) > 1:
            lines.insert(0, f"{path}: {len(lines)} problems")
        raise UserError("\n".join(lines)) from None
    model = recipe.base.model
    if model and (model.startswith((".", "/", "~")) or Path(model).suffix) and not Path(model).expanduser().exists():
        raise UserError(f"{path}: base.model: model path {model!r} does not exist")
    return recipe
