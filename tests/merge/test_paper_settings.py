"""The methods at the paper's settings (TIES density 0.2, λ ≠ 1; DARE density 0.8; SCE select_topk < 1) with
2-4 models, on both engines, against independent torch computations; and the merge stage against merge().

DARE's masks are random, so its tests use a *disjoint* family: model i changes only the entries whose flat
index is i mod n. Every entry of out − base then comes from one model's kept, rescaled delta, so the kept
fraction, the rescale and the combination rule (a sum for ta_dare, a disjoint mean for ties_dare) can each
be read off the output exactly.
"""

from __future__ import annotations

import logging
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

import harness.merge.stream as stream
from harness.merge.merge import merge
from harness.merge.stages import merge_stage
from harness.pipeline.context import StageContext
from harness.recipe import Recipe

W4 = [1.0, 0.5, 2.0, 1.5]


@pytest.fixture(params=["mergekit", "stream"])
def engine(request, monkeypatch):
    """Both engines; the streaming one with blocks of 1,000 entries so every tensor spans several blocks."""
    if request.param == "stream":
        monkeypatch.setattr(stream, "BLOCK_ELEMS", 1000)
    return request.param


def _load(d):
    out = {}
    for f in sorted(d.glob("*.safetensors")):
        out.update(load_file(f))
    return out


@pytest.fixture(scope="module")
def disjoint_family(tmp_path_factory, tiny_family):
    """base + 4 models; model i's delta is nonzero exactly on the entries with flat index ≡ i (mod 4)."""
    root = tmp_path_factory.mktemp("disjoint")
    base = tiny_family["base"]
    g = torch.Generator().manual_seed(5)
    models = []
    for i in range(4):
        out = root / f"d{i}"
        shutil.copytree(base, out)
        for f in sorted(out.glob("*.safetensors")):
            sd = load_file(f)
            for k, v in sd.items():
                on = (torch.arange(v.numel()) % 4 == i).reshape(v.shape)
                sd[k] = (v + 0.02 * torch.randn(v.shape, generator=g) * on).contiguous()
            save_file(sd, f, metadata={"format": "pt"})
        models.append(out)
    return base, models


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("method", ["ta_dare", "ties_dare"])
def test_dare_at_density_08_kept_fraction_rescale_and_l1_sum(disjoint_family, tmp_path, engine, method, n):
    base_dir, model_dirs = disjoint_family
    w, lam = W4[:n], 0.9
    merge(method, base_dir, model_dirs[:n], tmp_path / "out", weights=w, density=0.8, lambda_=lam, seed=1,
          engine=engine)
    base, got = _load(base_dir), _load(tmp_path / "out")
    models = [_load(d) for d in model_dirs[:n]]
    kept = [0] * n
    support = [0] * n
    for k, b in base.items():
        out_delta = (got[k] - b).double()
        total_l1 = 0.0
        for i in range(n):
            on = (torch.arange(b.numel()) % 4 == i).reshape(b.shape)
            delta = (models[i][k] - b).double()
            mask = (out_delta != 0) & on
            kept[i] += int(mask.sum())
            support[i] += int((on & (delta != 0)).sum())
            # the drop rescale keeps this tensor's L1 norm of model i's delta (mergekit's rescale: l1)
            scale = delta.abs().sum() / delta[mask].abs().sum()
            # ta_dare sums the weighted deltas; ties_dare's disjoint mean divides each by its own weight
            coef = lam * (w[i] if method == "ta_dare" else 1.0)
            torch.testing.assert_close(out_delta[mask], coef * scale * delta[mask], atol=1e-6, rtol=1e-5, msg=k)
            if delta.numel() > 4000:
                assert abs(scale.item() - 1 / 0.8) < 0.06, (k, i, scale.item())
            total_l1 += coef * delta.abs().sum().item()
        # ‖out − base‖₁ is the sum over models of λ·wᵢ·‖Δᵢ‖₁ (ta_dare) or λ·‖Δᵢ‖₁ (ties_dare), not a mean
        assert out_delta.abs().sum().item() == pytest.approx(total_l1, rel=1e-5), k
    for i in range(n):
        assert kept[i] / support[i] == pytest.approx(0.8, abs=0.02), (i, kept[i], support[i])


def _trim(delta: torch.Tensor, density: float) -> torch.Tensor:
    k = max(1, int(density * delta.numel()))
    keep = torch.zeros(delta.numel(), dtype=torch.bool)
    keep[torch.topk(delta.abs().reshape(-1), k).indices] = True
    return delta * keep.reshape(delta.shape)


@pytest.mark.parametrize("n", [2, 3])
def test_ties_at_density_02_with_lambda(tiny_family, tmp_path, engine, n):
    names = [f"m{i}" for i in range(n)]
    w, lam, density = W4[:n], 0.7, 0.2
    merge("ties", tiny_family["base"], [tiny_family[x] for x in names], tmp_path / "out", weights=w,
          density=density, lambda_=lam, engine=engine)
    base, got = _load(tiny_family["base"]), _load(tmp_path / "out")
    models = [_load(tiny_family[x]) for x in names]
    for k, b in base.items():
        wv = torch.tensor(w).view(-1, *[1] * b.dim())
        trimmed = torch.stack([_trim(m[k] - b, density) for m in models])
        weighted = trimmed * wv
        sign = torch.where(weighted.sum(0) >= 0, 1.0, -1.0)
        agree = (weighted.sign() == sign).float()
        den = (wv * agree).sum(0)
        den[den == 0] = 1
        expected = b + lam * (weighted * agree).sum(0) / den
        torch.testing.assert_close(got[k], expected, atol=1e-6, rtol=0, msg=k)
        changed = (got[k] != b).sum().item()
        assert changed <= n * max(1, int(density * b.numel())), k  # nothing outside the trimmed supports


def test_sce_with_variance_selection(tiny_family, tmp_path, engine):
    names = ["m0", "m1", "m2"]
    merge("sce", tiny_family["base"], [tiny_family[x] for x in names], tmp_path / "out", select_topk=0.3,
          engine=engine)
    base, got = _load(tiny_family["base"]), _load(tmp_path / "out")
    models = [_load(tiny_family[x]) for x in names]
    for k, b in base.items():
        tv = torch.stack([m[k] - b for m in models])
        var = tv.var(0, unbiased=False).reshape(-1)
        keep = torch.zeros_like(var, dtype=torch.bool)
        keep[torch.topk(var, int(torch.count_nonzero(var) * 0.3)).indices] = True
        tv = tv * keep.reshape(b.shape)
        sign = torch.where(tv.sum(0) >= 0, 1.0, -1.0)
        agree = (tv.sign() == sign).float()
        sq = tv.square().reshape(3, -1).mean(1)
        wts = (sq / sq.sum()).view(-1, *[1] * b.dim()) * agree
        expected = b + (tv * wts).sum(0) / wts.sum(0).clamp(min=1e-6)
        torch.testing.assert_close(got[k], expected, atol=1e-6, rtol=1e-5, msg=k)
        # only the selected 30% of entries move
        assert ((got[k] != b).reshape(-1) & ~keep).sum() == 0, k


@pytest.mark.parametrize("method", ["ties", "ta_dare"])
def test_merge_stage_output_equals_merge_called_directly(tiny_family, tmp_path, method, make_finetune):
    inputs = {}
    srcs = {"sft": tiny_family["base"], "rl-math": tiny_family["m0"], "rl-code": tiny_family["m1"],
            "rl-science": tiny_family["m2"]}
    for stage, src in srcs.items():
        (tmp_path / stage).mkdir()
        (tmp_path / stage / "model").symlink_to(src)
        inputs[stage] = tmp_path / stage
    (tmp_path / "rl-if").mkdir()
    srcs["rl-if"] = make_finetune(tiny_family["base"], tmp_path / "rl-if" / "model", seed=77)
    inputs["rl-if"] = tmp_path / "rl-if"
    weights = {"math": 1.0, "code": 0.5, "science": 2.0, "if": 1.5}
    recipe = Recipe(name="t", merge={"weights": weights, "lambda": 0.8, "ties_density": 0.3, "dare_density": 0.7,
                                     "seed": 4})
    out = tmp_path / "stage-out"
    out.mkdir()
    ctx = StageContext(recipe=recipe, name=f"merge-{method.replace('_', '-')}", kind="merge",
                       param=method.replace("_", "-"), out=out, inputs=inputs, run_root=tmp_path, seed=0,
                       log=logging.getLogger("t"))
    info = merge_stage(ctx)["merge"]
    order = ["rl-math", "rl-code", "rl-science", "rl-if"]
    direct = merge(method, srcs["sft"], [srcs[s] for s in order], tmp_path / "direct",
                   weights=[weights[s[3:]] for s in order], density=0.3 if method == "ties" else 0.7,
                   lambda_=0.8, seed=4)
    assert info["density"] == direct["density"] and info["lambda"] == 0.8 and info["seed"] == 4
    assert [m["weight"] for m in info["models"]] == [1.0, 0.5, 2.0, 1.5]
    staged, called = _load(out / "model"), _load(tmp_path / "direct")
    base = _load(tiny_family["base"])
    assert set(staged) == set(called)
    for k in staged:
        assert torch.equal(staged[k], called[k]), k
        assert not torch.equal(staged[k], base[k]), k  # and the merge moved every tensor
