"""Write and run the OpenRLHF launch of one training stage from the recipe.

``plan()`` is pure: recipe + stage -> the exact ``docker run … <launcher> -m openrlhf.cli.…`` argv, using the flag
names of the pinned release (``pinned.OPENRLHF_VERSION``). ``run()`` prints it (``--dry-run``) or, where GPUs
and the image exist, writes the stage's data + reward file into ``runs/<recipe>/openrlhf/<stage>/`` and runs it;
the trained HF model lands in ``…/<stage>/model``. The run folder is mounted at the same absolute path inside the
container, so every path printed is valid on both sides (and on other Ray nodes sharing that filesystem).

SFT: ``torchrun -m openrlhf.cli.train_sft`` on the recipe's blend (loss on the assistant turn).
GRPO: ``python -m openrlhf.cli.train_ppo_ray`` with ``--algo.advantage.estimator group_norm`` (group-normalised
advantages), rollout batch = ``prompts_per_step``, ``n_samples_per_prompt`` = ``group_size``, one optimiser update
per rollout batch, clip ``eps_low``/``eps_high``, KL as a k3 loss with the recipe's coefficient (the paper's 0.0:
OpenRLHF 0.11.2 then skips the reference model, which contributes nothing at coefficient 0), truncated
importance sampling between vLLM and the trainer, lr constant after warm-up.
MT-OPD: not launched here — see ``OPD_MESSAGE``.

Cluster shape (not part of the recipe's science): ``MIXMERGE_OPENRLHF_NODES`` (default 1),
``MIXMERGE_OPENRLHF_GPUS`` per node (default 8), ``MIXMERGE_OPENRLHF_TP`` vLLM tensor parallel (default 1),
``MIXMERGE_OPENRLHF_IMAGE`` (default ``pinned.IMAGE``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import UserError, unknown
from harness.recipe import DOMAINS, GRPOStage, Recipe
from harness.train import sft_data
from harness.train.openrlhf import data, pinned

OPD_MESSAGE = (
    "MT-OPD has no OpenRLHF path: OpenRLHF 0.11.2 has no distillation CLI and its PPO loop cannot score a "
    "sample with a per-prompt teacher's token log-probs; run it with --backend local (TRL)"
)
STAGES = ("sft", *(f"rl-{d}" for d in DOMAINS), "rl-multi", "opd-multi")
KIND_OF = {"sft": "sft", "opd-multi": "opd", **{s: "grpo" for s in STAGES if s.startswith("rl-")}}
REWARD_SOURCE = Path(__file__).with_name("reward_func.py")
DEFAULT_GPUS = 8
PASSED_BY_NAME = ("HF_TOKEN", "WANDB_API_KEY")


@dataclass(frozen=True)
class Resources:
    nodes: int = 1
    gpus_per_node: int = DEFAULT_GPUS
    vllm_tp: int = 1
    image: str = pinned.IMAGE

    @classmethod
    def from_env(cls) -> Resources:
        def num(name: str, default: int) -> int:
            raw = os.environ.get(name, str(default))
            if not raw.isdigit() or int(raw) < 1:
                raise UserError(f"{name}={raw!r}: a positive integer is needed")
            return int(raw)

        res = cls(num("MIXMERGE_OPENRLHF_NODES", 1), num("MIXMERGE_OPENRLHF_GPUS", DEFAULT_GPUS),
                  num("MIXMERGE_OPENRLHF_TP", 1), os.environ.get("MIXMERGE_OPENRLHF_IMAGE", pinned.IMAGE))
        if res.gpus_per_node % res.vllm_tp:
            raise UserError(f"MIXMERGE_OPENRLHF_TP={res.vllm_tp} does not divide the {res.gpus_per_node} GPUs per "
                            "node: every GPU hosts one vLLM shard when training and generation share GPUs")
        return res

    @property
    def world(self) -> int:
        return self.nodes * self.gpus_per_node


@dataclass
class Launch:
    kind: str  # "sft" | "grpo"
    stage: str
    image: str
    docker_argv: list[str]  # `docker run … IMAGE`
    python_argv: list[str]  # what runs inside the container: launcher, -m module, flags
    module: str
    workdir: Path  # host path == container path
    data_file: Path | None  # JSONL the launch writes (None when the recipe names a hub dataset)
    output_dir: Path  # the trained HF model directory
    reward_file: Path | None = None  # mounted reward_func.py (GRPO)
    reward_config: dict = field(default_factory=dict)
    records: int = 0  # records to write into data_file
    shares: dict[str, float] = field(default_factory=dict)  # domain -> share of records
    env: dict[str, str] = field(default_factory=dict)
    gpus: int = DEFAULT_GPUS  # per node
    nodes: int = 1
    volumes: dict[str, str] = field(default_factory=dict)  # host path -> container path (":ro" suffix: read-only)
    run_root: Path | None = None  # mounted at the same path; the container's working directory

    @property
    def flags(self) -> list[str]:
        """The flags after ``-m module`` (what the pinned release's argparse must accept)."""
        return self.python_argv[self.python_argv.index(self.module) + 1:]


def _resolve_kind(kind: str, stage: str) -> str:
    if stage not in KIND_OF:
        raise unknown("stage", stage, STAGES)
    if kind not in ("sft", "grpo", "opd"):
        raise unknown("training kind", kind, ["sft", "grpo", "opd"])
    if KIND_OF[stage] != kind:
        raise UserError(f"stage {stage!r} is trained by 'mixmerge train {KIND_OF[stage]}', not {kind!r}")
    return kind


def _num(x: float) -> str:
    return repr(float(x)) if isinstance(x, float) else str(x)


def _model_path(recipe: Recipe, kind: str, run_root: Path, inputs: dict[str, Path] | None) -> str:
    """The model the stage starts from. ``inputs[upstream]`` may be a stage directory (pipeline) or the model
    directory itself (``mixmerge train --model``); SFT falls back to the recipe's ``base.model`` (hub id or
    path) when no base stage output exists, so a lab need not materialise the base model first."""
    upstream = "sft" if kind == "grpo" else "base"
    given = Path(inputs[upstream]) if inputs and upstream in inputs else run_root / upstream
    for cand in (given, given / "model"):
        if (cand / "config.json").exists():
            return str(cand.resolve())
    if kind == "sft" and recipe.base.model:
        return recipe.base.model
    return str((given if given.name == "model" else given / "model").resolve())


def plan(recipe: Recipe, kind: str, stage: str, run_root: Path, inputs: dict[str, Path] | None = None,
         resources: Resources | None = None) -> Launch:
    """The launch of ``stage`` (no side effects)."""
    if _resolve_kind(kind, stage) == "opd":
        raise UserError(OPD_MESSAGE)
    res = resources or Resources.from_env()
    run_root = Path(run_root).resolve()
    work = run_root / "openrlhf" / stage
    model = _model_path(recipe, kind, run_root, inputs)
    if kind == "sft":
        launch = _sft(recipe, work, model, res)
    else:
        launch = _grpo(recipe, stage, work, model, res)
    launch.volumes = _volumes(run_root, model)
    launch.run_root = run_root
    launch.docker_argv = _docker_argv(res, run_root, launch.volumes, launch.env)
    return launch


def _sft(recipe: Recipe, work: Path, model: str, res: Resources) -> Launch:
    cfg = recipe.sft
    micro = next((m for m in (2, 1) if cfg.batch_size % (m * res.world) == 0), None)
    if micro is None:
        raise UserError(f"sft.batch_size {cfg.batch_size} is not a multiple of the {res.world} GPUs: each "
                        f"optimiser step splits the batch evenly; use {res.world * max(1, cfg.batch_size // res.world)}")
    out, data_file = work / "model", None
    flags = ["--model.model_name_or_path", model]
    if sft_data.uses_blend(cfg):  # the paper's blend from the Nemotron datasets, written by prepare()
        if cfg.epochs != int(cfg.epochs):
            raise UserError(f"sft.epochs {cfg.epochs}: OpenRLHF runs whole epochs over the blend; use an integer")
        data_file = work / "sft.jsonl"
        records = sum(sft_data.counts(cfg).values())
        flags += ["--data.dataset", str(data_file), "--train.max_epochs", str(int(cfg.epochs))]
    elif cfg.dataset:  # a chat dataset given by the recipe (hub id or path), read as is
        if cfg.epochs != int(cfg.epochs):
            raise UserError(f"sft.epochs {cfg.epochs}: OpenRLHF runs whole epochs over sft.dataset; use an integer")
        flags += ["--data.dataset", cfg.dataset, "--train.max_epochs", str(int(cfg.epochs))]
        if cfg.samples:
            flags += ["--data.max_samples", str(cfg.samples)]
        records = 0
    else:  # the blend, written with its epochs (or max_steps) unrolled: one pass over the file
        data_file = work / "sft.jsonl"
        base = cfg.samples or sum(recipe.data[d].sft for d, v in cfg.blend.items() if v > 0 and d in recipe.data)
        records = cfg.max_steps * cfg.batch_size if cfg.max_steps > 0 else max(1, round(cfg.epochs * base))
        flags += ["--data.dataset", str(data_file), "--data.max_samples", str(records), "--train.max_epochs", "1"]
    flags += [
        "--data.input_key", "messages", "--data.apply_chat_template", "--data.max_len", str(cfg.max_length),
        "--train.batch_size", str(cfg.batch_size), "--train.micro_batch_size", str(micro),
        "--adam.lr", _num(cfg.learning_rate), "--adam.betas", *map(_num, cfg.adam_betas),
        "--adam.weight_decay", _num(cfg.weight_decay),
        "--lr_scheduler", "cosine_with_min_lr", "--lr_warmup_ratio", _num(cfg.warmup_ratio),
        "--min_lr_ratio", _num(cfg.min_lr_ratio),
        "--ds.zero_stage", "2", "--ds.param_dtype", "bf16", "--ds.packing_samples",
        "--model.gradient_checkpointing_enable",
        "--train.seed", str(recipe.seed),
        "--ckpt.output_dir", str(out), "--ckpt.path", str(work / "ckpt"), "--ckpt.save_steps", "200",
        "--ckpt.load_enable", "--logger.tensorboard_dir", str(work / "tensorboard"), "--logger.logging_steps", "1",
    ]
    launcher = ["torchrun", "--nnodes", str(res.nodes), "--nproc_per_node", str(res.gpus_per_node)]
    return Launch(kind="sft", stage="sft", image=res.image, docker_argv=[],
                  python_argv=[*launcher, "-m", pinned.SFT_MODULE, *flags], module=pinned.SFT_MODULE,
                  workdir=work, data_file=data_file, output_dir=out, records=records,
                  shares={d: v for d, v in cfg.blend.items() if v > 0}, gpus=res.gpus_per_node, nodes=res.nodes)


def grpo_settings(recipe: Recipe, stage: str) -> tuple[GRPOStage, dict[str, float]]:
    """The GRPO section and domain mix of an RL stage."""
    if stage == "rl-multi":
        return recipe.rl_multi, {d: v for d, v in recipe.rl_multi.mix.items() if v > 0}
    domain = stage.removeprefix("rl-")
    return recipe.grpo_for(domain), {domain: 1.0}


def _grpo(recipe: Recipe, stage: str, work: Path, model: str, res: Resources) -> Launch:
    cfg, shares = grpo_settings(recipe, stage)
    records = cfg.steps * cfg.prompts_per_step  # one optimiser update per rollout batch, `steps` of them
    data_file, out, reward = work / "prompts.jsonl", work / "model", work / "reward_func.py"
    max_len = cfg.max_prompt_length + cfg.max_completion_length
    flags = [
        "--actor.model_name_or_path", model,
        "--data.prompt_dataset", str(data_file), "--data.input_key", "messages", "--data.label_key", "label",
        "--data.apply_chat_template", "--data.max_samples", str(records),
        "--data.max_len", str(max_len), "--rollout.max_new_tokens", str(cfg.max_completion_length),
        "--reward.remote_url", str(reward),
        "--algo.advantage.estimator", "group_norm",
        # masks a prompt's group whose reward file marked an infrastructure failure (score NaN; reward_func.py)
        "--algo.dynamic_filtering_enable", "--algo.dynamic_filtering_range", "-1", "2",
        "--rollout.batch_size", str(cfg.prompts_per_step),
        "--rollout.n_samples_per_prompt", str(cfg.group_size),
        "--train.batch_size", str(cfg.prompts_per_step * cfg.group_size),
        "--train.max_epochs", "1", "--train.num_episodes", "1",
        "--rollout.temperature", _num(cfg.temperature), "--rollout.top_p", _num(cfg.top_p),
        "--actor.adam.lr", _num(cfg.learning_rate), "--actor.adam.betas", *map(_num, cfg.adam_betas),
        "--actor.adam.weight_decay", _num(cfg.weight_decay),
        "--actor.lr_scheduler", "constant_with_warmup",
        "--actor.lr_warmup_ratio", _num(min(1.0, cfg.warmup_steps / cfg.steps)),
        "--actor.eps_clip_low_high", _num(cfg.eps_low), _num(cfg.eps_high),
        "--actor.loss_agg_mode", "token-mean", "--actor.entropy_coef", "0.0",
        "--algo.kl.use_loss", "--algo.kl.estimator", "k3", "--algo.kl.init_coef", _num(cfg.kl_coef),
        "--algo.advantage.is_correction_level", "token", "--algo.advantage.is_correction_mode", "clip",
        "--actor.num_nodes", str(res.nodes), "--actor.num_gpus_per_node", str(res.gpus_per_node),
    ]
    if cfg.kl_coef > 0:
        flags += ["--ref.num_nodes", str(res.nodes), "--ref.num_gpus_per_node", str(res.gpus_per_node)]
    flags += [
        "--vllm.num_engines", str(res.world // res.vllm_tp), "--vllm.tensor_parallel_size", str(res.vllm_tp),
        "--vllm.gpu_memory_utilization", "0.6", "--train.colocate_all", "--vllm.enable_sleep", "--ds.enable_sleep",
        "--ds.zero_stage", "3", "--ds.param_dtype", "bf16", "--ds.packing_samples",
        "--actor.gradient_checkpointing_enable", "--train.dynamic_batch_enable",
        "--train.max_tokens_per_gpu", str(max(16384, max_len)), "--rollout.max_tokens_per_gpu", str(max(32768, max_len)),
        "--train.seed", str(recipe.seed),
        "--ckpt.output_dir", str(out), "--ckpt.path", str(work / "ckpt"), "--ckpt.save_steps", "50",
        "--ckpt.load_enable", "--logger.tensorboard_dir", str(work / "tensorboard"), "--logger.logging_steps", "1",
    ]
    config = {"think_gate": cfg.think_gate, "sandbox": recipe.sandbox.model_dump(mode="json"),
              "stage": stage, "domains": sorted(shares), "samples_per_step": cfg.prompts_per_step * cfg.group_size}
    return Launch(kind="grpo", stage=stage, image=res.image, docker_argv=[],
                  python_argv=["python", "-m", pinned.GRPO_MODULE, *flags], module=pinned.GRPO_MODULE,
                  workdir=work, data_file=data_file, output_dir=out, reward_file=reward, reward_config=config,
                  records=records, shares=shares, gpus=res.gpus_per_node, nodes=res.nodes)


def _docker_socket() -> str:
    host = os.environ.get("DOCKER_HOST", "")
    return host.removeprefix("unix://") if host.startswith("unix://") else "/var/run/docker.sock"


def _volumes(run_root: Path, model: str) -> dict[str, str]:
    hf_home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    vols = {str(run_root): str(run_root), str(hf_home): "/root/.cache/huggingface",
            _docker_socket(): "/var/run/docker.sock"}
    local = Path(model)
    if model.startswith(("/", ".", "~")) and not local.resolve().is_relative_to(run_root):
        vols[str(local.resolve())] = f"{local.resolve()}:ro"
    return vols


def _docker_argv(res: Resources, run_root: Path, volumes: dict[str, str], env: dict[str, str]) -> list[str]:
    env.update({"HF_HOME": "/root/.cache/huggingface", "DOCKER_HOST": "unix:///var/run/docker.sock",
                "NCCL_DEBUG": "WARN"})
    argv = ["docker", "run", "--rm", "--gpus", "all", "--ipc=host", "--network=host",
            "--ulimit", "memlock=-1", "--ulimit", "stack=67108864"]
    for host, inside in volumes.items():
        argv += ["-v", f"{host}:{inside}"]
    for k, v in sorted(env.items()):
        argv += ["-e", f"{k}={v}"]
    for k in PASSED_BY_NAME:  # passed by name: the value never appears in the printed launch
        if k in os.environ:
            argv += ["-e", k]
    return [*argv, "-w", str(run_root), res.image]


def format_plan(launch: Launch) -> str:
    """The launch as a shell command, one flag (with its values) per line."""
    def lines(argv: list[str], lead: int) -> list[str]:
        out = [" ".join(shlex.quote(a) for a in argv[:lead])] if lead else []
        cur: list[str] = []
        for a in argv[lead:]:
            if a.startswith("-") and cur and not _is_number(a):
                out.append(" ".join(shlex.quote(x) for x in cur))
                cur = []
            cur.append(a)
        if cur:
            out.append(" ".join(shlex.quote(x) for x in cur))
        return out

    docker = lines(launch.docker_argv[:-1], 2) + [shlex.quote(launch.docker_argv[-1])]
    lead = launch.python_argv.index(launch.module) + 1
    head = launch.python_argv[:lead]
    inner = [" ".join(shlex.quote(a) for a in head)] + lines(launch.python_argv[lead:], 0)
    return " \\\n  ".join(docker + inner)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def describe(launch: Launch) -> str:
    """What ``--dry-run`` prints: the command, then the files it reads and writes."""
    parts = [format_plan(launch), ""]
    if launch.reward_file:
        parts.append(f"reward file (mounted): {launch.reward_file}  <- copy of {REWARD_SOURCE}")
        parts.append(f"reward config: {launch.reward_file.with_name('reward_config.json')}")
    if launch.data_file:
        mix = ", ".join(f"{d} {v:g}" for d, v in launch.shares.items())
        parts.append(f"data: {launch.data_file} ({launch.records} records; {mix})")
    parts.append(f"model out: {launch.output_dir}")
    return "\n".join(parts)


def prepare(launch: Launch, recipe: Recipe, examples: dict[str, list] | None = None) -> None:
    """Write the launch's data file, reward file + config and ``launch.sh`` into its workdir.

    ``examples`` maps domain -> examples (``{id, domain, messages, label, meta}``); by default they come from
    the domain registry as the recipe's ``data`` section says.
    """
    launch.workdir.mkdir(parents=True, exist_ok=True)
    if launch.data_file and launch.kind == "sft" and sft_data.uses_blend(recipe.sft):
        sft_data.write_blend(recipe.sft, launch.data_file, recipe.seed)
    elif launch.data_file:
        split = "sft" if launch.kind == "sft" else "rl"
        pools = examples if examples is not None else {d: data.domain_examples(recipe, d, split) for d in launch.shares}
        make = data.sft_record if launch.kind == "sft" else data.rl_record
        per_step = None if launch.kind == "sft" else grpo_settings(recipe, launch.stage)[0].prompts_per_step
        records = data.sample_records(pools, launch.shares, launch.records, recipe.seed, make=make, per_step=per_step)
        data.write_jsonl(launch.data_file, records)
    if launch.reward_file:
        shutil.copyfile(REWARD_SOURCE, launch.reward_file)
        launch.reward_file.with_name("reward_config.json").write_text(json.dumps(launch.reward_config, indent=2))
    (launch.workdir / "launch.sh").write_text("#!/bin/sh\nset -e\n" + format_plan(launch) + "\n")


def preflight(launch: Launch) -> None:
    """Raise one clear line unless GPUs and the image are there."""
    smi = shutil.which("nvidia-smi")
    if smi is None or subprocess.run([smi, "-L"], capture_output=True).returncode != 0:
        raise UserError(f"no NVIDIA GPU here (nvidia-smi {'failed' if smi else 'not found'}): the OpenRLHF backend "
                        "needs GPUs; print the launch with --dry-run or train with --backend local")
    if shutil.which("docker") is None:
        raise UserError("docker CLI not found: install Docker with the NVIDIA container toolkit to launch OpenRLHF")
    if subprocess.run(["docker", "image", "inspect", launch.image], capture_output=True).returncode != 0:
        raise UserError(f"image {launch.image} not found: build it with "
                        f"`docker build -f docker/openrlhf/Dockerfile -t {launch.image} .`")


def run(recipe: Recipe, kind: str, stage: str, run_root: Path, dry_run: bool,
        inputs: dict[str, Path] | None = None) -> int:
    """``mixmerge train … --backend openrlhf``: print (dry run) or run the launch; returns the exit code.

    A real run also writes ``<workdir>/run.json`` (wall seconds, GPUs, device-seconds = wall × GPUs)."""
    launch = plan(recipe, kind, stage, run_root, inputs)
    if dry_run:
        print(describe(launch))
        return 0
    preflight(launch)
    prepare(launch, recipe)
    print(describe(launch), flush=True)
    t0 = time.time()
    rc = subprocess.run([*launch.docker_argv, *launch.python_argv]).returncode
    wall = time.time() - t0
    record = {"rc": rc, "wall_s": round(wall, 1), "nodes": launch.nodes, "gpus_per_node": launch.gpus,
              "device_seconds": round(wall * launch.nodes * launch.gpus, 1), "image": launch.image,
              "openrlhf": pinned.OPENRLHF_VERSION}
    (launch.workdir / "run.json").write_text(json.dumps(record, indent=2) + "\n")  # GPU-seconds for the ledger
    if rc == 0 and not (launch.output_dir / "config.json").exists():
        raise UserError(f"OpenRLHF exited 0 but wrote no model to {launch.output_dir}; see its log above")
    return rc

