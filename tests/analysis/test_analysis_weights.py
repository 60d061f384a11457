"""Task-vector analysis on tiny models: exact cosine against torch, JL projection close to exact, overlap."""

from __future__ import annotations

import csv
import json

import pytest
import torch
from safetensors.torch import load_file

from harness.analysis.weights import analyze_weights, layer_group, project
from harness.cli import main


def _flat_delta(model, base):
    m, b = load_file(next(model.glob("*.safetensors"))), load_file(next(base.glob("*.safetensors")))
    return torch.cat([(m[k] - b[k]).double().flatten() for k in sorted(b)])


@pytest.fixture
def result(geometry, tmp_path):
    """Per test, not per module: mutation testing links a test to the code its own setup ran (plots: one test)."""
    models = {k: geometry[k] for k in ("a", "b", "neg", "indep")}
    return analyze_weights(geometry["base"], models, tmp_path, top_p=0.2, plots=False), tmp_path


def _pair(res, a, b):
    return next(p for p in res["pairs"] if {p["a"], p["b"]} == {a, b})


def test_exact_cosine_matches_torch(result, geometry):
    res, _ = result
    da, db = _flat_delta(geometry["a"], geometry["base"]), _flat_delta(geometry["b"], geometry["base"])
    expected = (da @ db / (da.norm() * db.norm())).item()
    assert _pair(res, "a", "b")["cosine_exact"] == pytest.approx(expected, abs=1e-9)
    assert 0.4 < expected < 0.6  # shared component: the fixture's design
    assert _pair(res, "a", "neg")["cosine_exact"] == pytest.approx(-1.0, abs=1e-6)
    assert res["norms"]["a"] == pytest.approx(da.norm().item(), rel=1e-9)


def test_projected_cosine_close_to_exact(result):
    res, _ = result
    for p in res["pairs"]:
        assert p["cosine_rp"] == pytest.approx(p["cosine_exact"], abs=0.05), p


def test_gaussian_projection_close_to_exact(geometry, tmp_path):
    res = analyze_weights(geometry["base"], {"a": geometry["a"], "b": geometry["b"]}, tmp_path, projection="gaussian",
                          rp_dim=1024, plots=False)
    p = res["pairs"][0]
    assert p["cosine_rp"] == pytest.approx(p["cosine_exact"], abs=0.1)


def test_projection_is_linear_and_seeded():
    x = torch.randn(2, 3000)
    p1 = project(x, "t", dim=64, seed=0, kind="gaussian")
    assert torch.allclose(project(x, "t", dim=64, seed=0, kind="gaussian"), p1)
    assert not torch.allclose(project(x, "t", dim=64, seed=1, kind="gaussian"), p1)
    s = project(x.sum(0, keepdim=True), "t", dim=64, seed=0, kind="sparse")
    assert torch.allclose(s, project(x, "t", dim=64, seed=0, kind="sparse").sum(0, keepdim=True), atol=1e-6)


def test_overlap_coefficient(result):
    res, _ = result
    assert _pair(res, "a", "neg")["overlap"] == pytest.approx(1.0)  # same magnitudes, same footprint
    # independent noise: two random top-20% masks overlap in ~20% of their entries
    assert _pair(res, "a", "indep")["overlap"] == pytest.approx(0.2, abs=0.03)
    assert _pair(res, "a", "b")["overlap"] > 0.3


def test_outputs_written(geometry, tmp_path):
    out = tmp_path
    res = analyze_weights(geometry["base"], {k: geometry[k] for k in ("a", "b", "neg", "indep")}, out, top_p=0.2)
    data = json.loads((out / "weights.json").read_text())
    assert data == json.loads(json.dumps(res))
    assert {"a", "b", "cosine_exact", "cosine_rp", "overlap"} <= set(data["pairs"][0])
    rows = list(csv.DictReader(open(out / "weights_layers.csv")))
    assert {r["group"] for r in rows} >= {"layer000", "layer001", "embed"}
    for png in ("cosine_exact.png", "cosine_rp.png", "overlap.png", "cosine_layers.png"):
        assert (out / png).stat().st_size > 1000


def test_cli_weights(geometry, tmp_path, capsys):
    rc = main(["analyze", "weights", "--base", str(geometry["base"]), "--models", f"x={geometry['a']}",
               f"y={geometry['b']}", "--out", str(tmp_path), "--no-exact"])
    assert rc == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["a"] == "x" and line["cosine_exact"] is None and line["cosine_rp"] > 0.3
    rc = main(["analyze", "weights", "--base", str(geometry["base"]), "--models", str(geometry["a"]),
               "--out", str(tmp_path / "p"), "--projection", "gaussain"])
    err = capsys.readouterr().err
    assert rc == 2 and "unknown projection 'gaussain'; did you mean 'gaussian'?" in err and "sparse" in err


def _tensors(model):
    return load_file(next(model.glob("*.safetensors")))


def _footprint(delta, top_p):
    k = max(1, int(top_p * delta.numel()))
    mask = torch.zeros(delta.numel(), dtype=torch.bool)
    mask[delta.abs().flatten().topk(k).indices] = True
    return mask


def test_layer_group_names():
    assert layer_group("model.layers.3.mlp.up_proj.weight") == "layer003"
    assert layer_group("model.layers.12.self_attn.q_proj.weight") == "layer012"
    assert layer_group("model.embed_tokens.weight") == "embed"
    assert layer_group("lm_head.weight") == "embed"
    assert layer_group("model.norm.weight") == "other"
    assert layer_group("model.layers.7") == "other"  # a layer index is followed by the parameter's name


def test_settings_norms_and_parameter_count(result, geometry):
    res, _ = result
    base = _tensors(geometry["base"])
    assert res["parameters"] == sum(t.numel() for t in base.values())
    assert (res["top_p"], res["projection"], res["rp_dim"], res["seed"]) == (0.2, "sparse", 16384, 0)
    assert res["models"] == {k: str(geometry[k]) for k in ("a", "b", "neg", "indep")}
    assert res["base"] == str(geometry["base"]) and res["wall_seconds"] >= 0
    for k in ("a", "b", "neg", "indep"):
        assert res["norms"][k] == pytest.approx(_flat_delta(geometry[k], geometry["base"]).norm().item(), rel=1e-9)
    assert [(p["a"], p["b"]) for p in res["pairs"]] == [("a", "b"), ("a", "neg"), ("a", "indep"), ("b", "neg"),
                                                        ("b", "indep"), ("neg", "indep")]


@pytest.mark.parametrize("top_p", [0.2, 1e-6])  # 1e-6: every tensor's footprint is its single largest entry
def test_overlap_and_layer_rows_equal_an_independent_computation(geometry, tmp_path, top_p):
    res = analyze_weights(geometry["base"], {"a": geometry["a"], "b": geometry["b"]}, tmp_path, top_p=top_p,
                          plots=False)
    out = tmp_path
    base, ta, tb = _tensors(geometry["base"]), _tensors(geometry["a"]), _tensors(geometry["b"])
    inter, size_a, size_b, groups = 0, 0, 0, {}
    for k in base:
        da, db = (ta[k] - base[k]).flatten(), (tb[k] - base[k]).flatten()
        fa, fb = _footprint(da, top_p), _footprint(db, top_p)
        inter, size_a, size_b = inter + (fa & fb).sum().item(), size_a + fa.sum().item(), size_b + fb.sum().item()
        g = groups.setdefault(layer_group(k), [0.0, 0.0, 0.0, 0, 0, 0])
        g[0] += (da.double() @ db.double()).item()
        g[1] += (da.double() ** 2).sum().item()
        g[2] += (db.double() ** 2).sum().item()
        g[3] += (fa & fb).sum().item()
        g[4] += fa.sum().item()
        g[5] += fb.sum().item()
    assert _pair(res, "a", "b")["overlap"] == pytest.approx(inter / min(size_a, size_b), abs=1e-12)
    rows = {r["group"]: r for r in csv.DictReader(open(out / "weights_layers.csv")) if (r["a"], r["b"]) == ("a", "b")}
    assert set(rows) == set(groups)
    for name, (dot, na, nb, i, sa, sb) in groups.items():
        assert float(rows[name]["cosine_exact"]) == pytest.approx(dot / (na * nb) ** 0.5, abs=1e-9), name
        assert float(rows[name]["overlap"]) == pytest.approx(i / min(sa, sb), abs=1e-12), name


def test_without_exact_cosines_and_with_an_unchanged_model(geometry, tmp_path):
    res = analyze_weights(geometry["base"], {"a": geometry["a"], "same": geometry["base"]}, tmp_path, exact=False,
                          plots=False)
    p = res["pairs"][0]
    assert p["cosine_exact"] is None and p["cosine_rp"] is None  # a zero task vector has no direction
    assert res["norms"]["a"] == pytest.approx(_flat_delta(geometry["a"], geometry["base"]).norm().item(), rel=1e-9)
    assert res["norms"]["same"] == 0.0
    rows = list(csv.DictReader(open(tmp_path / "weights_layers.csv")))
    assert rows and all(r["cosine_exact"] == "" for r in rows)
    assert not list(tmp_path.glob("*.png"))
    one = analyze_weights(geometry["base"], {"a": geometry["a"]}, tmp_path / "one", projection="gaussian")
    assert one["pairs"] == [] and one["rp_dim"] == 1024 and not list((tmp_path / "one").glob("*.png"))
