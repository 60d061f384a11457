"""Each merge method through real mergekit on tiny models, against an independent torch computation."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from harness.merge.merge import merge
from harness.merge.methods import METHODS

ATOL = 1e-6


def _load(model_dir) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for f in sorted(model_dir.glob("*.safetensors")):
        out.update(load_file(f))
    return out


def _inputs(fam, n=3):
    names = [f"m{i}" for i in range(n)]
    base = _load(fam["base"])
    models = [_load(fam[n_]) for n_ in names]
    return [fam[n_] for n_ in names], base, models


def _assert_close(out_dir, expected: dict[str, torch.Tensor], atol=ATOL):
    got = _load(out_dir)
    assert set(got) == set(expected)
    for k, v in expected.items():
        torch.testing.assert_close(got[k].float(), v.float(), atol=atol, rtol=0, msg=k)


def test_every_method_is_tested():
    tested = {"average", "ta", "ties", "ties_dare", "ta_dare", "sce"}
    assert set(METHODS) == tested


def test_average_is_weighted_mean(tiny_family, tmp_path):
    paths, base, models = _inputs(tiny_family)
    w = [1.0, 2.0, 3.0]
    merge("average", tiny_family["base"], paths, tmp_path / "out", weights=w)
    expected = {k: sum(wi * m[k] for wi, m in zip(w, models, strict=True)) / sum(w) for k in base}
    _assert_close(tmp_path / "out", expected)


def test_task_arithmetic(tiny_family, tmp_path):
    paths, base, models = _inputs(tiny_family)
    w, lam = [1.0, 0.5, 2.0], 0.7
    merge("ta", tiny_family["base"], paths, tmp_path / "out", weights=w, lambda_=lam)
    expected = {k: base[k] + lam * sum(wi * (m[k] - base[k]) for wi, m in zip(w, models, strict=True)) for k in base}
    _assert_close(tmp_path / "out", expected)


def _ties_reference(base, models, w, lam):
    out = {}
    for k, b in base.items():
        deltas = torch.stack([m[k] - b for m in models]) * torch.tensor(w).view(-1, *[1] * b.dim())
        elected = torch.where(deltas.sum(0) >= 0, 1.0, -1.0)
        agree = (deltas.sign() == elected).float()
        num = (deltas * agree).sum(0)
        den = (torch.tensor(w).view(-1, *[1] * b.dim()) * agree).sum(0)
        den[den == 0] = 1
        out[k] = b + lam * num / den
    return out


def test_ties_without_trimming_is_sign_elected_disjoint_mean(tiny_family, tmp_path):
    paths, base, models = _inputs(tiny_family)
    w, lam = [1.0, 1.0, 2.0], 1.0
    merge("ties", tiny_family["base"], paths, tmp_path / "out", weights=w, density=1.0, lambda_=lam)
    _assert_close(tmp_path / "out", _ties_reference(base, models, w, lam))


def test_ties_trims_per_tensor_to_density(tiny_family, tmp_path):
    base, m0 = _load(tiny_family["base"]), _load(tiny_family["m0"])
    merge("ties", tiny_family["base"], [tiny_family["m0"]], tmp_path / "out", density=0.2)
    got = _load(tmp_path / "out")
    for k, b in base.items():
        delta, merged_delta = m0[k] - b, got[k] - b
        kept = merged_delta != 0
        assert kept.sum().item() == max(1, int(0.2 * b.numel())), k
        # the kept entries are the largest magnitudes of this tensor's task vector, unchanged
        threshold = delta.abs().flatten().kthvalue(b.numel() - kept.sum().item() + 1).values
        assert (delta.abs()[kept] >= threshold - 1e-9).all(), k
        torch.testing.assert_close(merged_delta[kept], delta[kept], atol=ATOL, rtol=0)


def test_dare_keeps_density_fraction_and_rescales_l1(tiny_family, tmp_path):
    base, m0 = _load(tiny_family["base"]), _load(tiny_family["m0"])
    merge("ta_dare", tiny_family["base"], [tiny_family["m0"]], tmp_path / "a", density=0.8, seed=0)
    got = _load(tmp_path / "a")
    kept_total = numel = 0
    for k, b in base.items():
        delta, out_delta = m0[k] - b, got[k] - b
        kept = out_delta != 0
        kept_total += kept.sum().item()
        numel += b.numel()
        # mergekit's DARE rescale keeps each tensor's L1 norm: survivors scaled by |Δ|₁ / |Δ·mask|₁
        scale = delta.abs().sum() / delta[kept].abs().sum()
        torch.testing.assert_close(out_delta[kept], delta[kept] * scale, atol=1e-5, rtol=1e-5)
        if b.numel() > 2000:
            assert abs(scale.item() - 1 / 0.8) < 0.05, (k, scale)
    assert abs(kept_total / numel - 0.8) < 0.01
    # seeded: same seed, same result; another seed, another mask
    merge("ta_dare", tiny_family["base"], [tiny_family["m0"]], tmp_path / "b", density=0.8, seed=0)
    merge("ta_dare", tiny_family["base"], [tiny_family["m0"]], tmp_path / "c", density=0.8, seed=1)
    a, b_, c = _load(tmp_path / "a"), _load(tmp_path / "b"), _load(tmp_path / "c")
    assert all(torch.equal(a[k], b_[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_ties_dare_runs_seeded_and_is_disjoint_mean_at_density_one(tiny_family, tmp_path):
    paths, base, models = _inputs(tiny_family)
    merge("ties_dare", tiny_family["base"], paths, tmp_path / "d1", density=1.0)
    _assert_close(tmp_path / "d1", _ties_reference(base, models, [1.0, 1.0, 1.0], 1.0))
    merge("ties_dare", tiny_family["base"], paths, tmp_path / "a", seed=3)
    merge("ties_dare", tiny_family["base"], paths, tmp_path / "b", seed=3)
    a, b = _load(tmp_path / "a"), _load(tmp_path / "b")
    assert all(torch.equal(a[k], b[k]) for k in a)
    info = json.loads((tmp_path / "a" / "merge_info.json").read_text())
    assert info["density"] == 0.8 and info["mergekit_method"] == "dare_ties" and info["seed"] == 3


def test_sce_changes_weights_as_reference(tiny_family, tmp_path):
    paths, base, models = _inputs(tiny_family)
    merge("sce", tiny_family["base"], paths, tmp_path / "out")
    got = _load(tmp_path / "out")
    expected = {}
    for k, b in base.items():
        tv = torch.stack([m[k] - b for m in models])
        elected = torch.where(tv.sum(0) >= 0, 1.0, -1.0)
        agree = (tv.sign() == elected).float()
        wts = tv.square().reshape(len(models), -1).mean(1)
        wts = (wts / wts.sum()).view(-1, *[1] * b.dim()) * agree
        expected[k] = b + (tv * wts).sum(0) / wts.sum(0).clamp(min=1e-6)
    assert any(not torch.allclose(got[k], base[k]) for k in base)
    _assert_close(tmp_path / "out", expected, atol=1e-5)


def test_output_dir_is_a_loadable_sharded_hf_model(tiny_family, tmp_path):
    paths, _, _ = _inputs(tiny_family)
    out = tmp_path / "out"
    info = merge("ties", tiny_family["base"], paths, out, shard_size="20K")
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "tokenizer.json", "tokenizer_config.json", "mergekit_config.yml",
            "merge_info.json", "model.safetensors.index.json"} <= names
    assert info["shards"] > 1 and info["trimming"] == "per-tensor (mergekit)"
    assert "chat_template.jinja" in names or "chat_template" in (out / "tokenizer_config.json").read_text()
    model = AutoModelForCausalLM.from_pretrained(out)
    logits = model(torch.tensor([[1, 2, 3]])).logits
    assert torch.isfinite(logits).all()
    assert not list(tmp_path.glob(".out.*")), "temporary directory left behind"


@pytest.mark.parametrize("method", ["average", "ta", "ties", "ties_dare", "ta_dare", "sce"])
def test_config_kept_and_rerunnable(tiny_family, tmp_path, method):
    import yaml
    from mergekit.config import MergeConfiguration

    paths, _, _ = _inputs(tiny_family, n=2)
    merge(method, tiny_family["base"], paths, tmp_path / "out")
    cfg = yaml.safe_load((tmp_path / "out" / "mergekit_config.yml").read_text())
    assert cfg["merge_method"] == METHODS[method].mergekit
    MergeConfiguration.model_validate(cfg)  # what mergekit-yaml would read


def test_mergekit_method_and_parameter_names_exist():
    """Our mapping against mergekit's own registry: every method and every parameter we set is declared."""
    from mergekit.merge_methods import registry

    from harness.merge.methods import mergekit_config

    for m in METHODS.values():
        spec = registry.get(m.mergekit).spec
        declared = {p.name for p in spec.parameters}
        cfg = mergekit_config(m, "b", ["x"], weights=[1.0], density=0.5, lambda_=1.0, select_topk=1.0,
                              dtype="float32", out_dtype=None)
        used = set(cfg.get("parameters", {})) | set(cfg["models"][0].get("parameters", {}))
        assert used <= declared, (m.name, used - declared)


def test_mergekit_config_shape_per_method():
    """The config mergekit reads: per-model parameters only where a method has them, one entry per model."""
    from harness.merge.methods import mergekit_config

    kw = dict(density=0.5, lambda_=1.0, select_topk=0.5, dtype="bfloat16", out_dtype=None)
    sce = mergekit_config(METHODS["sce"], "b", ["x", "y"], weights=[1.0, 1.0], **kw)
    assert sce["models"] == [{"model": "x"}, {"model": "y"}] and sce["dtype"] == "bfloat16"
    assert sce["parameters"] == {"select_topk": 0.5} and sce["base_model"] == "b"
    with pytest.raises(ValueError):
        mergekit_config(METHODS["ta"], "b", ["x", "y"], weights=[1.0], **kw)


def test_unknown_method_message():
    from harness.errors import UserError
    from harness.merge.methods import get_method

    with pytest.raises(UserError, match=r"^unknown merge method 'tie'; did you mean 'ties'\?"):
        get_method("tie")


@pytest.mark.parametrize("engine", ["mergekit", "stream"])
def test_compute_dtype_is_used(tiny_family, tmp_path, engine):
    """dtype bfloat16: the arithmetic runs in bf16 (every output value is a bf16 number, though saved as fp32)."""
    paths, _, _ = _inputs(tiny_family, n=2)
    merge("ta", tiny_family["base"], paths, tmp_path / "bf", dtype="bfloat16", engine=engine)
    merge("ta", tiny_family["base"], paths, tmp_path / "fp", dtype="float32", engine=engine)
    bf, fp = _load(tmp_path / "bf"), _load(tmp_path / "fp")
    assert all(v.dtype == torch.float32 and torch.equal(v, v.bfloat16().float()) for v in bf.values())
    assert not all(torch.equal(v, v.bfloat16().float()) for v in fp.values())
