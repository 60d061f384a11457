"""Every flag the harness emits exists in the pinned OpenRLHF release's CLI, read from its source."""

import re
from pathlib import Path

import pytest

from harness.recipe import DOMAINS, Recipe, load_recipe
from harness.train.openrlhf import launch, pinned

STAGES = [("sft", "sft"), *[("grpo", f"rl-{d}") for d in DOMAINS], ("grpo", "rl-multi")]
PAPER = {  # the paper's values (reference/paper_settings.md) on the fields the launch reads
    "name": "paper-like", "base": {"model": "Qwen/Qwen3-4B-Base"},
    "sft": {"batch_size": 512, "epochs": 2, "learning_rate": 5e-5, "dataset": "some/sft-blend", "max_length": 32768},
    "grpo": {"steps": 200, "prompts_per_step": 128, "group_size": 16, "learning_rate": 2e-6, "kl_coef": 0.0,
             "max_prompt_length": 2048, "max_completion_length": 32768, "think_gate": True},
    "grpo_overrides": {"science": {"kl_coef": 0.001}},
    "rl_multi": {"steps": 400, "prompts_per_step": 128, "group_size": 16, "learning_rate": 2e-6},
}
RECIPES = {"defaults": Recipe(name="defaults"), "paper-like": Recipe.model_validate(PAPER),
           "recipes/micro": load_recipe("micro"), "recipes/paper": load_recipe("paper")}


@pytest.mark.parametrize("recipe", sorted(RECIPES))
@pytest.mark.parametrize(("kind", "stage"), STAGES)
def test_every_flag_exists_in_pinned_release(openrlhf_source, tmp_path, recipe, kind, stage):
    plan = launch.plan(RECIPES[recipe], kind, stage, tmp_path / "runs")
    spec = pinned.cli_spec(plan.module, openrlhf_source)
    assert pinned.check_argv(plan.flags, spec) == []
    assert plan.python_argv[plan.python_argv.index(plan.module) - 1] == "-m"


@pytest.mark.parametrize("recipe", sorted(RECIPES))
@pytest.mark.parametrize(("kind", "stage"), STAGES)
def test_release_parser_and_checks_accept_the_launch(openrlhf_source, tmp_path, recipe, kind, stage):
    """The release's own argparse + post-parse asserts (its __main__ block, train() captured) take the launch."""
    r = RECIPES[recipe]
    plan = launch.plan(r, kind, stage, tmp_path / "runs")
    args = pinned.release_parse(plan.module, plan.flags, openrlhf_source)
    assert args.train.seed == r.seed
    if kind == "sft":
        assert args.adam.lr == r.sft.learning_rate and args.train.batch_size == r.sft.batch_size
        assert args.data.apply_chat_template and args.data.input_key == "messages" and args.data.output_key is None
        return
    cfg, _ = launch.grpo_settings(r, stage)
    assert args.algo.advantage.estimator == "group_norm" and args.critic.model_name_or_path is None
    assert (args.rollout.batch_size, args.rollout.n_samples_per_prompt) == (cfg.prompts_per_step, cfg.group_size)
    assert args.actor.eps_clip_low_high == [cfg.eps_low, cfg.eps_high]
    assert args.algo.kl.init_coef == cfg.kl_coef and args.algo.kl.use_loss
    assert args.reward.remote_url == [str(plan.reward_file)]
    assert args.actor.adam.lr == cfg.learning_rate and args.rollout.temperature == cfg.temperature
    # the release's step count (trainer/ppo_trainer.py prepare_datasets): prompts * n // train_batch * episodes * epochs
    steps = (args.data.max_samples * args.rollout.n_samples_per_prompt // args.train.batch_size
             * args.train.num_episodes * args.train.max_epochs)
    assert steps == cfg.steps


def test_release_parser_rejects(openrlhf_source):
    with pytest.raises(ValueError, match="unrecognized arguments: --pretrain"):
        pinned.release_parse(pinned.GRPO_MODULE, ["--pretrain", "m"], openrlhf_source)
    with pytest.raises(AssertionError, match="group_norm requires n_samples_per_prompt > 1"):
        pinned.release_parse(pinned.GRPO_MODULE, ["--algo.advantage.estimator", "group_norm",
                                                   "--reward.remote_url", "r.py"], openrlhf_source)


def test_checker_rejects_what_the_release_does_not_accept(openrlhf_source):
    spec = pinned.cli_spec(pinned.GRPO_MODULE, openrlhf_source)
    # 0.8-era names, a switch given a value, a wrong arity, a value outside the choices
    argv = ["--pretrain", "x", "--remote_rm_url", "r.py", "--train.colocate_all", "yes",
            "--actor.eps_clip_low_high", "0.2", "--algo.advantage.estimator", "grpo"]
    problems = pinned.check_argv(argv, spec)
    assert [p.split(":")[0] for p in problems] == ["--pretrain", "--remote_rm_url", "--train.colocate_all",
                                                   "--actor.eps_clip_low_high", "--algo.advantage.estimator"]


def test_loop_built_flags_are_read(openrlhf_source):
    spec = pinned.cli_spec(pinned.GRPO_MODULE, openrlhf_source)
    # declared as f"--{prefix}.adam.lr" inside `for prefix in ("actor", "critic")`
    assert {"--actor.adam.lr", "--critic.adam.lr", "--actor.lr_scheduler"} <= set(spec)
    assert spec["--actor.adam.betas"].nargs == 2
    assert "group_norm" in spec["--algo.advantage.estimator"].choices


def _flag(plan, name):
    f = plan.flags
    i = f.index(name)
    vals = []
    for a in f[i + 1:]:
        if a.startswith("--"):
            break
        vals.append(a)
    return vals


def test_grpo_launch_carries_the_recipe():
    r = RECIPES["paper-like"]
    p = launch.plan(r, "grpo", "rl-math", Path("/runs/paper"))
    assert _flag(p, "--algo.advantage.estimator") == ["group_norm"]
    assert _flag(p, "--rollout.batch_size") == ["128"]
    assert _flag(p, "--rollout.n_samples_per_prompt") == ["16"]
    # one optimiser update per rollout batch, `steps` of them (OpenRLHF: prompts * n / train_batch)
    assert _flag(p, "--train.batch_size") == ["2048"]
    assert int(_flag(p, "--data.max_samples")[0]) * 16 // 2048 == 200 == p.records // 128
    assert _flag(p, "--actor.eps_clip_low_high") == ["0.2", "0.28"]
    assert _flag(p, "--algo.kl.init_coef") == ["0.0"] and "--algo.kl.use_loss" in p.flags
    assert "--ref.num_nodes" not in p.flags  # coefficient 0: OpenRLHF loads no reference
    assert _flag(p, "--actor.adam.lr") == ["2e-06"]
    assert _flag(p, "--data.max_len") == [str(2048 + 32768)] and _flag(p, "--rollout.max_new_tokens") == ["32768"]
    assert _flag(p, "--reward.remote_url") == [str(p.reward_file)] and p.reward_file.suffix == ".py"
    assert p.reward_config["think_gate"] is True and p.shares == {"math": 1.0}
    sci = launch.plan(r, "grpo", "rl-science", Path("/runs/paper"))
    assert _flag(sci, "--algo.kl.init_coef") == ["0.001"] and "--ref.num_nodes" in sci.flags
    multi = launch.plan(r, "grpo", "rl-multi", Path("/runs/paper"))
    assert multi.shares == {d: 0.25 for d in DOMAINS} and multi.records == 400 * 128


def test_sft_launch(tmp_path):
    p = launch.plan(RECIPES["paper-like"], "sft", "sft", tmp_path)
    assert p.python_argv[:2] == ["torchrun", "--nnodes"]
    assert _flag(p, "--model.model_name_or_path") == ["Qwen/Qwen3-4B-Base"]
    assert _flag(p, "--data.dataset") == ["some/sft-blend"] and _flag(p, "--train.max_epochs") == ["2"]
    micro = launch.plan(RECIPES["defaults"], "sft", "sft", tmp_path)
    assert _flag(micro, "--model.model_name_or_path") == [str(tmp_path.resolve() / "base" / "model")]
    sft_total = sum(RECIPES["defaults"].data[d].sft for d in DOMAINS)
    assert micro.records == sft_total and _flag(micro, "--train.max_epochs") == ["1"]


def test_dockerfile_pins_match_the_harness():
    text = (Path(__file__).resolve().parents[2] / "docker" / "openrlhf" / "Dockerfile").read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.M))
    assert args["OPENRLHF_VERSION"] == pinned.OPENRLHF_VERSION
    assert args["VLLM_VERSION"] == pinned.VLLM_VERSION
    assert args["TORCH_VERSION"] == pinned.TORCH_VERSION


def test_pinned_vllm_is_the_release_extra(openrlhf_source):
    meta = next(openrlhf_source.parents[2].glob("openrlhf-*.dist-info")) / "METADATA"
    assert f'Requires-Dist: vllm=={pinned.VLLM_VERSION}; extra == "vllm"' in meta.read_text()
