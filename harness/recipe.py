"""Recipes: YAML validated by pydantic (``extra="forbid"`` everywhere).

Field descriptions are the single source of defaults and help. ``load_recipe`` turns every problem
(bad YAML, unknown field, wrong type, missing model path) into one ``UserError`` line naming the
file, the field path and the problem.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import UserError

DOMAINS = ("math", "code", "science", "if")  # the four RL domains of the study
# where a stage runs (Ray resources) does not change what it produces: never hashed
HASH_EXCLUDED = {s: {"resources"} for s in ("base", "sft", "grpo", "rl_multi", "opd", "merge", "eval")}
# fields added after runs existed, hashed only when set: their default leaves every output as it was
HASHED_WHEN_SET = (("eval", "data"),)
RECIPES_DIR = Path(__file__).resolve().parent.parent / "recipes"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resources(Section):
    """What one stage of this section asks a Ray cluster for (`executor: ray`); the local executor ignores it.
    Not part of any stage's hash: where a stage runs does not change what it produces."""

    cpus: float = Field(1.0, description="CPU cores (Ray num_cpus)")
    gpus: float = Field(0.0, description="GPUs (Ray num_gpus); the paper's RL and eval stages take a node's 8")
    memory_gb: float | None = Field(None, description="memory reserved for the stage (Ray memory); null = none")


class Executor(Section):
    """How `mixmerge reproduce` runs the planned stages (`--executor` / `--ray-address` override it)."""

    kind: Literal["local", "ray"] = Field("local", description="local: in order, here; ray: independent stages "
                                          "side by side as Ray tasks (pip install 'mixmerge[ray]')")
    address: str | None = Field(None, description="Ray cluster address (ray://… or HOST:PORT); null starts Ray here")


class MicroModel(Section):
    """Tiny Qwen3 built from scratch for the CPU recipe (the notes: ~1 M parameters learn GRPO on CPU)."""

    vocab_size: int = Field(512, description="byte-level BPE vocabulary size (digits split one per token)")
    hidden_size: int = Field(128, description="model width")
    intermediate_size: int = Field(512, description="FFN width")
    num_hidden_layers: int = Field(4, description="transformer blocks")
    num_attention_heads: int = Field(4, description="query heads")
    num_key_value_heads: int = Field(2, description="KV heads (GQA)")
    head_dim: int = Field(32, description="per-head width")
    max_position_embeddings: int = Field(512, description="context length")
    pretrain_steps: int = Field(200, description="causal-LM steps on the synthetic corpus")
    pretrain_max_length: int = Field(160, description="tokens per pretraining text (the micro texts are short)")
    pretrain_lr: float = Field(2e-3, description="peak learning rate (cosine)")
    pretrain_batch_size: int = Field(32, description="sequences per step")
    corpus_texts: int = Field(8000, description="synthetic texts across the domains for the tokenizer + pretraining")


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
    rl: int = Field(1200, description="RL prompts (micro: generated; otherwise: a cap)")
    sft: int = Field(1200, description="SFT examples with reference responses (micro)")
    eval: int = Field(200, description="held-out eval problems (micro)")


def default_data() -> dict[str, DomainData]:
    """Micro data sizes per domain; micro science's problem space holds ~850 RL and ~750 SFT problems."""
    out = {d: DomainData() for d in (*DOMAINS, "general")}
    out["science"] = DomainData(rl=560, sft=520)
    return out


class SFTStage(Section):
    backend: Literal["local", "openrlhf"] = "local"
    blend: dict[str, float] = Field(
        default_factory=lambda: {d: 0.25 for d in DOMAINS},
        description="domain -> proportion of SFT examples (normalised)",
    )
    dataset: str | None = Field(None, description="SFT dataset for non-micro recipes (hub id or path)")
    samples: int | None = Field(None, description="total SFT samples (paper: 14,121,873)")
    epochs: float = Field(1.0, description="passes over the blend (paper: 2)")
    max_steps: int = Field(-1, description="optimizer steps; -1 = from epochs")
    learning_rate: float = Field(2e-3, description="peak lr (paper: 5e-5 cosine to 5e-6)")
    min_lr_ratio: float = Field(0.1, description="cosine floor as a fraction of the peak")
    warmup_ratio: float = Field(0.1, description="warm-up fraction")
    adam_betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.1
    batch_size: int = Field(64, description="global batch (paper: 512)")
    max_length: int = Field(256, description="max tokens per example")
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")


class GRPOStage(Section):
    backend: Literal["local", "openrlhf"] = "local"
    steps: int = Field(150, description="optimizer steps (paper: 200 single-domain)")
    prompts_per_step: int = Field(8, description="prompts per rollout batch (paper: 128)")
    group_size: int = Field(8, description="samples per prompt, GRPO group (paper: 16)")
    learning_rate: float = Field(3e-5, description="constant after warm-up (paper: 2e-6)")
    warmup_steps: int = 10
    adam_betas: tuple[float, float] = (0.9, 0.98)
    weight_decay: float = 0.1
    kl_coef: float = Field(0.0, description="KL penalty beta (paper: 0.0, reference loaded)")
    eps_low: float = Field(0.2, description="lower clip")
    eps_high: float = Field(0.28, description="upper clip ('clip-higher')")
    temperature: float = 1.0
    top_p: float = 1.0
    max_prompt_length: int = Field(256, description="paper: 2,048")
    max_completion_length: int = Field(
        96, description="paper: 32,768; micro references: math <= 37 tokens, science <= 25, code <= 64, IF p90 81"
    )
    think_gate: bool = Field(False, description="reward 0 without a closing </think> (the paper's format gate)")

    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")

    @model_validator(mode="after")
    def _positive(self):
        if self.group_size < 2:
            raise ValueError(f"group_size {self.group_size} < 2: GRPO normalises rewards within a group; use >= 2")
        return self


class MultiGRPOStage(GRPOStage):
    steps: int = Field(200, description="paper: 400")
    mix: dict[str, float] = Field(
        default_factory=lambda: {d: 0.25 for d in DOMAINS},
        description="domain -> share of prompts in each mixed batch (paper: the blend's natural proportions)",
    )


class OPDStage(Section):
    backend: Literal["local"] = Field("local", description="OpenRLHF has no multi-teacher OPD; local TRL path")
    steps: int = Field(100, description="paper: 200")
    prompts_per_step: int = Field(8, description="paper: 256")
    samples_per_prompt: int = Field(4, description="paper: 4")
    learning_rate: float = Field(1e-5, description="paper: 1e-6")
    temperature: float = 1.0
    max_completion_length: int = Field(96, description="the longest domain's (IF); paper: 16,384")
    mix: dict[str, float] = Field(default_factory=lambda: {d: 0.25 for d in DOMAINS})
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")


class MergeStage(Section):
    methods: list[Literal["average", "ta", "ties", "ties_dare", "ta_dare", "sce"]] = Field(
        default_factory=lambda: ["average", "ta", "ties", "ties_dare", "ta_dare", "sce"]
    )
    weights: dict[str, float] = Field(
        default_factory=lambda: {d: 1.0 for d in DOMAINS}, description="per-model weight (paper: 1.0 each)"
    )
    lambda_: float = Field(1.0, alias="lambda", description="task-arithmetic scale (paper: 1.0)")
    ties_density: float = Field(0.2, description="TIES keeps the top 20% per task vector (paper)")
    dare_density: float = Field(0.8, description="DARE keeps 80% at random, rescale 1/0.8 (paper)")
    sce_topk: float = Field(1.0, description="SCE select_topk (paper: 1.0, no variance selection)")
    seed: int = Field(0, description="DARE seed (paper: 0)")
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"

    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SandboxSection(Section):
    backend: Literal["auto", "docker", "bwrap"] = "auto"
    image: str = "mixmerge-sandbox:latest"
    workers: int | None = Field(None, description="warm workers (default: cores)")
    timeout_s: float = Field(10.0, description="wall-clock limit per program (paper: 10 s)")
    cpu_s: float = Field(10.0, description="CPU-time limit per program")
    memory_mb: int = Field(1024, description="memory cap per program (paper: 4 GB)")
    pids: int = Field(64, description="process cap")
    output_bytes: int = Field(1 << 20, description="stdout/stderr cap, truncated and flagged")
    tmpfs_mb: int = Field(64, description="size of the only writable place")


class EvalStage(Section):
    suites: list[str] = Field(
        default_factory=lambda: ["micro-math", "micro-code", "micro-science", "micro-if", "micro-general"]
    )
    public_suites_if_present: bool = Field(True, description="also score public suites whose data is on disk")
    k: int | None = Field(None, description="samples per problem (default: the suite's K)")
    limit: int | None = Field(None, description="first N problems per suite")
    backend: Literal["transformers", "vllm", "openai"] = "transformers"
    temperature: float | None = Field(None, description="override the suite's (paper: 1.0)")
    top_p: float | None = Field(None, description="override the suite's (paper: 0.7)")
    max_new_tokens: int | None = None
    batch_size: int = 64
    data: dict[str, str] = Field(
        default_factory=dict, description="suite -> local file in its published format (instead of its hub id); "
        "${MIXMERGE_EXTERNAL} stands for the external data directory (harness.paths)")
    resources: Resources = Field(default_factory=Resources, description="Ray resources of one stage of this section")


class Recipe(Section):
    name: str = Field(..., description="run store folder: runs/<name>/")
    seed: int = 0
    base: BaseStage = Field(default_factory=BaseStage)
    data: dict[str, DomainData] = Field(default_factory=default_data)
    sft: SFTStage = Field(default_factory=SFTStage)
    grpo: GRPOStage = Field(default_factory=GRPOStage)
    grpo_overrides: dict[str, dict] = Field(
        default_factory=dict, description="domain -> GRPO fields that differ for that domain"
    )
    rl_multi: MultiGRPOStage = Field(default_factory=MultiGRPOStage)
    opd: OPDStage = Field(default_factory=OPDStage)
    merge: MergeStage = Field(default_factory=MergeStage)
    eval: EvalStage = Field(default_factory=EvalStage)
    sandbox: SandboxSection = Field(default_factory=SandboxSection)
    executor: Executor = Field(default_factory=Executor)
    gpu_hours: dict[str, float] = Field(
        default_factory=dict, description="stage -> GPU-hours estimate (paper recipe: from the paper's table)"
    )

    def section_hash(self, *paths: str) -> str:
        """Stable hash of some top-level sections (what a stage's output depends on)."""
        data = self.model_dump(mode="json", by_alias=True, exclude=HASH_EXCLUDED)
        for section, key in HASHED_WHEN_SET:
            if not data[section][key]:
                del data[section][key]
        sub = {p: data[p] for p in paths}
        return hashlib.sha256(json.dumps(sub, sort_keys=True).encode()).hexdigest()[:16]

    def grpo_for(self, domain: str) -> GRPOStage:
        over = self.grpo_overrides.get(domain, {})
        return GRPOStage(**{**self.grpo.model_dump(), **over})


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "<root>"


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
        err = e.errors()[0]
        loc = _loc(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            parent = Recipe
            for part in err["loc"][:-1]:
                f = getattr(parent, "model_fields", {}).get(part)
                ann = getattr(f, "annotation", None) if f else None
                parent = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
                if parent is None:
                    break
            fields = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(str(err["loc"][-1]), fields, n=1)
            msg = "unknown field" + (f"; did you mean {close[0]!r}?" if close else "")
            if fields:
                msg += f" (allowed: {', '.join(fields)})"
        more = f" (+{len(e.errors()) - 1} more)" if len(e.errors()) > 1 else ""
        raise UserError(f"{path}: {loc}: {msg}{more}") from None
    model = recipe.base.model
    if model and (model.startswith((".", "/", "~")) or Path(model).suffix) and not Path(model).expanduser().exists():
        raise UserError(f"{path}: base.model: model path {model!r} does not exist")
    return recipe
