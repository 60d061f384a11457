"""The streaming engine: its radix select, its in-place safetensors writer, and its output against mergekit's."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

import harness.merge.merge as merge_mod
import harness.merge.stream as stream
from harness.errors import UserError
from harness.merge.merge import merge


def _load(d):
    out = {}
    for f in sorted(d.glob("*.safetensors")):
        out.update(load_file(f))
    return out


@pytest.mark.parametrize("kind", ["normal", "ties", "zeros", "tiny"])
def test_kth_largest_matches_sorting(kind):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(10_007, generator=g).abs()
    if kind == "ties":
        x = torch.randint(0, 7, (10_007,), generator=g).float()  # few distinct values, many ties
    elif kind == "zeros":
        x[: 9_000] = 0
    elif kind == "tiny":
        x = x * 1e-30  # subnormal and near-subnormal magnitudes
    blocks = [x[i: i + 999] for i in range(0, x.numel(), 999)]
    srt = x.sort(descending=True).values
    for k in (1, 2, 500, 5_000, 10_007):
        got = stream.kth_largest(lambda: ([b, 2 * b] for b in blocks), k)
        assert got == [srt[k - 1].item(), (2 * srt)[k - 1].item()], (kind, k)


def test_writer_places_blocks_in_shards_safetensors_reads(tmp_path):
    tensors = {"a": torch.randn(7, 5), "b": torch.randn(11), "c": torch.randn(3, 4, 2)}
    w = stream.StreamWriter(tmp_path, [(k, tuple(v.shape)) for k, v in tensors.items()], torch.bfloat16,
                            shard_bytes=90)
    for name, t in reversed(list(tensors.items())):  # any order, any block split
        flat = t.reshape(-1)
        for i in range(0, flat.numel(), 4):
            w.write(name, i, flat[i: i + 4])
    assert w.finish() == 2
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"]) == set(tensors) and index["metadata"]["total_size"] == 2 * (35 + 11 + 24)
    got = {}
    for f in sorted(tmp_path.glob("*.safetensors")):
        with safe_open(f, framework="pt") as fh:
            assert fh.metadata() == {"format": "pt"}
            got.update({k: fh.get_tensor(k) for k in fh.keys()})  # noqa: SIM118 - safe_open has no __iter__
    for k, t in tensors.items():
        assert torch.equal(got[k], t.to(torch.bfloat16)), k


@pytest.mark.parametrize(("method", "kw"), [
    ("average", {"weights": [1.0, 2.0, 3.0]}),
    ("ta", {"weights": [1.0, 0.5, 2.0], "lambda_": 0.7}),
    ("ties", {"weights": [1.0, 1.0, 2.0], "density": 0.2, "lambda_": 0.8}),
    ("ties", {"density": 1.0}),
    ("sce", {"select_topk": 0.5}),
    ("sce", {}),
])
def test_stream_equals_mergekit_for_deterministic_methods(tiny_family, tmp_path, monkeypatch, method, kw):
    models = [tiny_family[f"m{i}"] for i in range(3)]
    merge(method, tiny_family["base"], models, tmp_path / "mk", engine="mergekit", **kw)
    monkeypatch.setattr(stream, "BLOCK_ELEMS", 700)
    info = merge(method, tiny_family["base"], models, tmp_path / "st", engine="stream", shard_size="30K", **kw)
    assert info["engine"] == "stream" and info["shards"] > 1
    a, b = _load(tmp_path / "mk"), _load(tmp_path / "st")
    assert set(a) == set(b)
    for k in a:
        torch.testing.assert_close(b[k], a[k], atol=1e-6, rtol=1e-6, msg=k)


def test_stream_dare_is_seeded_and_block_size_free(tiny_family, tmp_path, monkeypatch):
    models = [tiny_family[f"m{i}"] for i in range(3)]
    merge("ties_dare", tiny_family["base"], models, tmp_path / "a", engine="stream", seed=2)
    monkeypatch.setattr(stream, "BLOCK_ELEMS", 333)
    merge("ties_dare", tiny_family["base"], models, tmp_path / "b", engine="stream", seed=2)
    merge("ties_dare", tiny_family["base"], models, tmp_path / "c", engine="stream", seed=3)
    a, b, c = _load(tmp_path / "a"), _load(tmp_path / "b"), _load(tmp_path / "c")
    # a block of 333 entries draws the same stream as one block: masks depend on seed, tensor, model only
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_stream_output_is_a_loadable_model_with_the_bases_files(tiny_family, tmp_path):
    out = tmp_path / "out"
    info = merge("ta", tiny_family["base"], [tiny_family["m0"], tiny_family["m1"]], out, engine="stream",
                 dtype="bfloat16")
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "tokenizer.json", "mergekit_config.yml", "merge_info.json", "model.safetensors"} <= names
    assert info["engine"] == "stream" and json.loads((out / "config.json").read_text())["dtype"] == "float32"
    logits = AutoModelForCausalLM.from_pretrained(out)(torch.tensor([[1, 2, 3]])).logits
    assert torch.isfinite(logits).all()


def test_auto_streams_above_the_threshold(tiny_family, tmp_path, monkeypatch):
    models = [tiny_family["m0"]]
    assert merge("ta", tiny_family["base"], models, tmp_path / "a")["engine"] == "mergekit"
    monkeypatch.setattr(merge_mod, "STREAM_ABOVE", 1000)
    assert merge("ta", tiny_family["base"], models, tmp_path / "b")["engine"] == "stream"
    with pytest.raises(UserError, match="engine 'fast' not supported"):
        merge("ta", tiny_family["base"], models, tmp_path / "c", engine="fast")
    with pytest.raises(UserError, match="shard size 'lots'"):
        merge("ta", tiny_family["base"], models, tmp_path / "d", shard_size="lots")


def test_cli_engine_flag(tiny_family, tmp_path, capsys):
    from harness.cli import main

    out = tmp_path / "out"
    assert main(["merge", "--method", "ties", "--base", str(tiny_family["base"]), "--models", str(tiny_family["m0"]),
                 str(tiny_family["m1"]), "--out", str(out), "--engine", "stream"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["engine"] == "stream"
    assert json.loads((out / "merge_info.json").read_text())["engine"] == "stream"
