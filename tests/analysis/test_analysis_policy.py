"""Policy KL on tiny models: zero between identical policies, padding-invariant, matches a direct computation."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from harness.analysis.policy import analyze_policy, kl_on_samples, load_prompts, sample

PROMPTS = [[{"role": "user", "content": "Compute 3+4."}], [{"role": "user", "content": "Name a unit of force, please."}],
           "raw text prompt"]


def test_kl_matches_direct_unpadded_computation(geometry):
    tok = AutoTokenizer.from_pretrained(geometry["a"])
    ma = AutoModelForCausalLM.from_pretrained(geometry["a"]).eval()
    mb = AutoModelForCausalLM.from_pretrained(geometry["indep"]).eval()
    batches = sample(ma, tok, PROMPTS, n=2, max_new_tokens=12, temperature=1.0, seed=0)
    kl, count = kl_on_samples(ma, mb, batches)
    # direct: every sequence on its own, without padding, KL summed over its completion tokens
    total, tokens = 0.0, 0
    with torch.no_grad():
        for b in batches:
            for row in range(b["input_ids"].shape[0]):
                keep = b["attention_mask"][row].bool()
                ids = b["input_ids"][row][keep].unsqueeze(0)
                n_comp = int(b["completion_mask"][row].sum())
                la = torch.log_softmax(ma(ids).logits[0], -1)[-n_comp - 1:-1]
                lb = torch.log_softmax(mb(ids).logits[0], -1)[-n_comp - 1:-1]
                total += (la.exp() * (la - lb)).sum().item()
                tokens += n_comp
    assert count == tokens > 0
    assert kl == pytest.approx(total / tokens, rel=1e-4)
    assert kl > 0


def test_analyze_policy_pairs_both_directions(geometry, tmp_path, samples_writer):
    twin = tmp_path / "twin"
    shutil.copytree(geometry["a"], twin)
    ev = {}
    for name, correct in [("a", [1, 1, 0]), ("twin", [1, 1, 0]), ("b", [0, 1, 0]), ("sft", [0, 0, 0])]:
        samples_writer(tmp_path / "eval" / name / "m" / "micro-math" / "samples.jsonl",
                       [{"id": f"p{i}", "prompt": "x", "completion": "y", "correct": bool(c)} for i, c in enumerate(correct)])
        ev[name] = tmp_path / "eval" / name
    models = {"a": geometry["a"], "twin": twin, "b": geometry["b"]}
    res = analyze_policy(models, PROMPTS, tmp_path / "out", n=2, max_new_tokens=8, eval_dirs=ev,
                         suites=["micro-math"], reference="sft")
    pairs = {(p["a"], p["b"]): p for p in res["pairs"]}
    assert set(pairs) == {("a", "twin"), ("a", "b"), ("twin", "b")}
    assert pairs[("a", "twin")]["kl_ab"] == pytest.approx(0.0, abs=1e-6)
    assert pairs[("a", "b")]["kl_ab"] > 0 and pairs[("a", "b")]["kl_ba"] > 0
    assert res["accuracy"]["a"]["micro-math"] == pytest.approx(2 / 3)
    assert res["transfer"]["b"]["micro-math"] == pytest.approx(1 / 3)
    assert pairs[("a", "b")]["accuracy_gap"] == pytest.approx(1 / 3)
    assert (tmp_path / "out" / "kl.png").exists()
    assert json.loads((tmp_path / "out" / "policy.json").read_text())["pairs"]


def test_load_prompts_dedups_samples_by_id(tmp_path, samples_writer):
    f = samples_writer(tmp_path / "s.jsonl", [{"id": "1", "prompt": [{"role": "user", "content": "q"}]},
                                              {"id": "1", "prompt": [{"role": "user", "content": "q"}]},
                                              {"id": "2", "messages": [{"role": "user", "content": "r"}]}])
    assert len(load_prompts(f)) == 2
