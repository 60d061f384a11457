"""Task-vector analysis on tiny models: exact cosine against torch, JL projection close to exact, overlap."""

from __future__ import annotations

import csv
import json

import pytest
import torch
from safetensors.torch import load_file

from harness.analysis.weights import analyze_weights, project
from harness.cli import main


def _flat_delta(model, base):
    m, b = load_file(next(model.glob("*.safetensors"))), load_file(next(base.glob("*.safetensors")))
    return torch.cat([(m[k] - b[k]).double().flatten() for k in sorted(b)])


@pytest.fixture(scope="module")
def result(geometry, tmp_path_factory):
    out = tmp_path_factory.mktemp("weights")
    models = {k: geometry[k] for k in ("a", "b", "neg", "indep")}
    return analyze_weights(geometry["base"], models, out, top_p=0.2), out


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


def test_outputs_written(result):
    res, out = result
    data = json.loads((out / "weights.json").read_text())
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
    assert rc == 2 and "did you mean 'gaussian'" in capsys.readouterr().err
