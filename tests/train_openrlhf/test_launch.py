"""The launch a user sees (--dry-run), what it writes before running, and its refusals."""

import json
import shutil
from collections import Counter

import pytest

from harness.errors import UserError
from harness.recipe import DOMAINS, Recipe
from harness.train.openrlhf import data, launch


def ex(domain: str, i: int, response: str | None = None) -> dict:
    label = {"math": str(i), "code": {"tests": [{"input": f"{i}\n", "output": f"{i}\n"}]},
             "science": "B", "if": {"instruction_id_list": ["detectable_format:title"], "kwargs": [{}]}}[domain]
    return {"id": f"{domain}-{i}", "domain": domain, "messages": [{"role": "user", "content": f"{domain} task {i}"}],
            "label": label, "meta": {"response": response or f"answer {i}"}}


POOLS = {d: [ex(d, i) for i in range(5)] for d in DOMAINS}


def test_dry_run_prints_exact_launch_and_reward_file(tmp_path, capsys):
    assert launch.run(Recipe(name="m"), "grpo", "rl-multi", tmp_path, dry_run=True) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "docker run \\"
    assert "  python -m openrlhf.cli.train_ppo_ray \\" in lines
    assert all(line.endswith(" \\") for line in lines[: lines.index("") - 1])
    reward = tmp_path.resolve() / "openrlhf" / "rl-multi" / "reward_func.py"
    assert f"  --reward.remote_url {reward} \\" in lines
    assert f"reward file (mounted): {reward}" in out
    assert f"-v {tmp_path.resolve()}:{tmp_path.resolve()}" in out  # same path inside the container
    assert not (tmp_path / "openrlhf").exists()  # a dry run writes nothing


def test_opd_stops_with_one_line(tmp_path):
    with pytest.raises(UserError, match="MT-OPD has no OpenRLHF path.*--backend local"):
        launch.run(Recipe(name="m"), "opd", "opd-multi", tmp_path, dry_run=True)


def test_wrong_stage_or_kind(tmp_path):
    with pytest.raises(UserError, match="did you mean 'rl-math'"):
        launch.plan(Recipe(name="m"), "grpo", "rl-maths", tmp_path)
    with pytest.raises(UserError, match="'mixmerge train grpo'"):
        launch.plan(Recipe(name="m"), "sft", "rl-code", tmp_path)


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="a GPU machine: the launch would really run")
def test_without_gpus_one_clear_line(tmp_path):
    with pytest.raises(UserError, match="no NVIDIA GPU here.*--dry-run"):
        launch.run(Recipe(name="m"), "grpo", "rl-math", tmp_path, dry_run=False)
    assert not (tmp_path / "openrlhf").exists()


def test_cluster_shape_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MIXMERGE_OPENRLHF_NODES", "2")
    monkeypatch.setenv("MIXMERGE_OPENRLHF_GPUS", "4")
    monkeypatch.setenv("MIXMERGE_OPENRLHF_TP", "2")
    p = launch.plan(Recipe(name="m"), "grpo", "rl-if", tmp_path)
    f = " ".join(p.flags)
    assert "--actor.num_nodes 2 --actor.num_gpus_per_node 4" in f and "--vllm.num_engines 4" in f
    monkeypatch.setenv("MIXMERGE_OPENRLHF_TP", "3")
    with pytest.raises(UserError, match="MIXMERGE_OPENRLHF_TP=3 does not divide"):
        launch.plan(Recipe(name="m"), "grpo", "rl-if", tmp_path)


def test_prepare_grpo_multi_writes_mixed_prompts_and_reward_file(tmp_path):
    r = Recipe.model_validate({"name": "m", "rl_multi": {"steps": 10, "prompts_per_step": 8,
                                                          "mix": {"math": 0.5, "code": 0.25, "science": 0.25, "if": 0}},
                               "sandbox": {"backend": "bwrap"}})
    p = launch.plan(r, "grpo", "rl-multi", tmp_path)
    launch.prepare(p, r, examples=POOLS)
    rows = [json.loads(line) for line in p.data_file.read_text().splitlines()]
    assert len(rows) == 80
    assert Counter(row["domain"] for row in rows) == {"math": 40, "code": 20, "science": 20}
    first_batch = {row["domain"] for row in rows[:8]}
    assert len(first_batch) > 1  # shuffled: batches mix domains
    for row in rows:
        lab = json.loads(row["label"])  # a JSON string carrying the domain and the ground truth
        src = next(e for e in POOLS[row["domain"]] if e["id"] == row["id"])
        assert lab == {"domain": src["domain"], "label": src["label"], "id": src["id"]}
        assert row["messages"] == src["messages"]
    assert p.reward_file.read_text() == launch.REWARD_SOURCE.read_text()
    cfg = json.loads(p.reward_file.with_name("reward_config.json").read_text())
    assert cfg["sandbox"]["backend"] == "bwrap" and cfg["think_gate"] is False
    assert (p.workdir / "launch.sh").read_text().endswith(launch.format_plan(p) + "\n")


def test_prepare_sft_ends_with_the_reference_turn(tmp_path):
    r = Recipe.model_validate({"name": "m", "sft": {"max_steps": 3, "batch_size": 8}})
    p = launch.plan(r, "sft", "sft", tmp_path)
    launch.prepare(p, r, examples=POOLS)
    rows = [json.loads(line) for line in p.data_file.read_text().splitlines()]
    assert len(rows) == 24 and p.reward_file is None
    for row in rows:
        assert row["messages"][-1] == {"role": "assistant", "content": "answer " + row["id"].split("-")[1]}


def test_bad_examples_are_named(tmp_path):
    bad = dict(ex("math", 1), messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
    with pytest.raises(UserError, match="example 'math-1' \\(math\\): the prompt already ends with an assistant"):
        data.rl_record(bad)
    with pytest.raises(UserError, match="SFT needs the reference response"):
        data.sft_record(dict(ex("math", 2), meta={}))
    with pytest.raises(UserError, match="domain 'code' has a share in the mix but no examples"):
        data.sample_records({"math": [ex("math", 1)]}, {"math": 1, "code": 1}, 4, seed=0)


def test_allocate_is_exact_and_deterministic():
    assert data.allocate(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert sum(data.allocate(1023, {"math": 0.4, "code": 0.3, "science": 0.2, "if": 0.1}).values()) == 1023
    a = data.sample_records(POOLS, {"math": 1, "if": 1}, 12, seed=3)
    assert a == data.sample_records(POOLS, {"math": 1, "if": 1}, 12, seed=3)
    assert a != data.sample_records(POOLS, {"math": 1, "if": 1}, 12, seed=4)


def test_module_cli_prints_the_launch(tmp_path, capsys):
    from harness.train.openrlhf.__main__ import main

    (tmp_path / "r.yaml").write_text("name: r\ngrpo:\n  prompts_per_step: 4\n")
    assert main(["--recipe", str(tmp_path / "r.yaml"), "--stage", "rl-code", "--run-root", str(tmp_path)]) == 0
    assert "  --rollout.batch_size 4 \\" in capsys.readouterr().out
    assert main(["--recipe", str(tmp_path / "nope.yaml"), "--stage", "rl-code"]) == 2
    assert "recipe file not found" in capsys.readouterr().err


def test_input_model_from_stage_dir_model_dir_or_hub_id(tmp_path):
    model = tmp_path / "elsewhere" / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    flags = launch.plan(Recipe(name="m"), "grpo", "rl-math", tmp_path, {"sft": model}).flags
    assert flags[flags.index("--actor.model_name_or_path") + 1] == str(model.resolve())
    flags = launch.plan(Recipe(name="m"), "grpo", "rl-math", tmp_path, {"sft": model.parent}).flags
    assert flags[flags.index("--actor.model_name_or_path") + 1] == str(model.resolve())
    hub = Recipe.model_validate({"name": "m", "base": {"model": "Qwen/Qwen3-4B-Base"}})
    flags = launch.plan(hub, "sft", "sft", tmp_path, {"base": tmp_path / "base" / "model"}).flags
    assert flags[flags.index("--model.model_name_or_path") + 1] == "Qwen/Qwen3-4B-Base"
    p = launch.plan(hub, "grpo", "rl-if", tmp_path / "runs", {"sft": model})
    assert f"-v {model.resolve()}:{model.resolve()}:ro" in " ".join(p.docker_argv)  # outside the run folder


def test_secrets_pass_by_name_only(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    p = launch.plan(Recipe(name="m"), "sft", "sft", tmp_path)
    assert "-e HF_TOKEN \\" in launch.format_plan(p) and "hf_secret_value" not in launch.format_plan(p)
