"""MT-OPD: the routed loss equals a naive per-row reverse KL(student || the row's teacher) over full logits."""

from __future__ import annotations

from pathlib import Path

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer

from harness.train.configs import distillation_args
from harness.train.opd import MultiTeacherDistillationTrainer


def _naive_reverse_kl(student, teachers_by_row, batch) -> torch.Tensor:
    ids = torch.cat([batch["prompt_ids"], batch["completion_ids"]], 1)
    att = torch.cat([batch["prompt_mask"], batch["completion_mask"]], 1)
    c = batch["completion_ids"].size(1)
    total, n = torch.zeros(()), batch["completion_mask"].sum()
    for r in range(ids.size(0)):
        s = student(input_ids=ids[r : r + 1], attention_mask=att[r : r + 1]).logits[0, -c - 1 : -1]
        t = teachers_by_row[r](input_ids=ids[r : r + 1], attention_mask=att[r : r + 1]).logits[0, -c - 1 : -1]
        ls, lt = s.log_softmax(-1), t.log_softmax(-1)
        kl = (ls.exp() * (ls - lt)).sum(-1)  # reverse KL per position
        total = total + (kl * batch["completion_mask"][r]).sum()
    return total / n


def test_routed_loss_matches_naive_reverse_kl(tiny_models, tmp_path):
    tok = AutoTokenizer.from_pretrained(tiny_models["student"])
    student = AutoModelForCausalLM.from_pretrained(tiny_models["student"])
    teachers = {d: AutoModelForCausalLM.from_pretrained(tiny_models[f"teacher_{x}"]) for d, x in (("math", "a"), ("if", "b"))}
    rows = [{"prompt": [{"role": "user", "content": f"Compute {i}+{i}."}], "domain": d}
            for i, d in enumerate(["math", "if", "if", "math"])]
    args = distillation_args(tmp_path, seed=0, steps=1, learning_rate=1e-5, batch_size=4, max_completion_length=10,
                             temperature=1.0, shuffle=False)
    trainer = MultiTeacherDistillationTrainer(model=student, teachers=teachers, args=args,
                                              train_dataset=Dataset.from_list(rows), processing_class=tok)
    trainer.model.eval()
    with torch.no_grad():
        batch = trainer._generate_and_score_completions(rows)
        assert batch["teacher_idx"].tolist() == [trainer.teacher_index[r["domain"]] for r in rows]
        assert batch["completion_mask"].sum() > 0
        loss = trainer.compute_loss(trainer.model, batch)
        right = [teachers[r["domain"]] for r in rows]
        swapped = [teachers["if" if r["domain"] == "math" else "math"] for r in rows]
        naive = _naive_reverse_kl(student, right, batch)
        wrong = _naive_reverse_kl(student, swapped, batch)
    assert torch.allclose(loss, naive, rtol=1e-4, atol=1e-6), (loss.item(), naive.item())
    assert not torch.allclose(loss, wrong, rtol=1e-3), (loss.item(), wrong.item())
    # the teacher pointer is restored and every teacher was prepared once
    assert trainer.teacher_model is trainer.teachers[0] and len(trainer.teachers) == 2


def test_opd_stage_run_routes_four_teachers(micro_model, tmp_path):
    """A real two-step MT-OPD run (student = the four teachers' shared init here): artifacts and metrics."""
    import json

    from train_helpers import tiny_recipe

    from harness.train.stages import run_opd

    teachers = {d: micro_model for d in ("math", "code", "science", "if")}
    res = run_opd(tiny_recipe(), micro_model, teachers, tmp_path, seed=0)
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    # identical student and teachers: reverse KL is 0 at the first step
    assert abs(rows[0]["loss"]) < 1e-5 and rows[0]["entropy"] > 0
    assert res["teachers"] == ["code", "if", "math", "science"] and (tmp_path / "model" / "model.safetensors").exists()


def test_opd_stage_distills_each_domain_from_its_own_rl_stage(micro_model, tmp_path, monkeypatch):
    """Four different teachers (the rl-<d> stage dirs): every row is distilled from the teacher of its domain."""
    import shutil

    import trl
    from safetensors.torch import load_file, save_file
    from train_helpers import tiny_recipe

    from harness.pipeline.context import StageContext
    from harness.train import opd
    from harness.train.stages import opd_stage

    inputs = {"sft": tmp_path / "in" / "sft"}
    shutil.copytree(micro_model, inputs["sft"] / "model")
    for i, d in enumerate(("math", "code", "science", "if")):
        model = inputs.setdefault(f"rl-{d}", tmp_path / "in" / f"rl-{d}") / "model"
        shutil.copytree(micro_model, model)
        f = next(model.glob("*.safetensors"))
        g = torch.Generator().manual_seed(i)
        save_file({k: v + 0.05 * torch.randn(v.shape, generator=g) for k, v in load_file(f).items()}, f,
                  metadata={"format": "pt"})

    domain_of_prompt: dict[tuple, str] = {}
    seen: list[tuple[str, str]] = []  # (row's domain, the teacher's stage dir)
    generate, base_loss = opd.MultiTeacherDistillationTrainer._generate_and_score_completions, \
        trl.DistillationTrainer._compute_loss

    def spy_generate(self, rows):
        out = generate(self, rows)
        for r, ids in zip(rows, out["prompt_ids"].tolist(), strict=True):
            domain_of_prompt[tuple(ids)] = r["domain"]
        return out

    def spy_loss(self, student, part, n):
        teacher = Path(self.teacher_model.config._name_or_path).parent.name
        seen.extend((domain_of_prompt[tuple(ids)], teacher) for ids in part["prompt_ids"].tolist())
        return base_loss(self, student, part, n)

    monkeypatch.setattr(opd.MultiTeacherDistillationTrainer, "_generate_and_score_completions", spy_generate)
    monkeypatch.setattr(trl.DistillationTrainer, "_compute_loss", spy_loss)
    recipe = tiny_recipe(opd={"steps": 2, "prompts_per_step": 8, "samples_per_prompt": 1})
    ctx = StageContext(recipe=recipe, name="opd", kind="opd", param=None, out=tmp_path / "out", inputs=inputs,
                       run_root=tmp_path, seed=0)
    ctx.out.mkdir()
    res = opd_stage(ctx)
    assert res["teachers"] == ["code", "if", "math", "science"]
    assert {d for d, _ in seen} == {"math", "code", "science", "if"}, seen  # every domain was distilled
    wrong = [(d, t) for d, t in seen if t != f"rl-{d}"]
    assert not wrong, f"rows distilled from another domain's teacher: {wrong}"
