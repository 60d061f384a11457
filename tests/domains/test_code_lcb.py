"""LiveCodeBench on the shared real file: gold programs pass 100%, wrong ones 0%, fake-equality results fail;
release files, windows and bad rows as lcb_runner (28fef95) reads them (``benchmarks/code_generation.py``)."""

from __future__ import annotations

import base64
import json
import pickle
import shutil
import zlib
from datetime import date

import pytest
from lcb_programs import CHEATS, VARIANTS, completion

from domains.code.lcb import LCB_WINDOWS, LCBWindow, load_window, release_files
from domains.code.verify import extract_code_lcb, verify_code_many
from domains.registry import get_suite
from harness.errors import UserError
from harness.sandbox import Limits, get_sandbox

ALL_TIME = LCBWindow("release_v6", None, None)


@pytest.fixture(scope="module")
def lcb_file(external):
    path = external / "benchmarks/livecodebench/lcb_codegen_lite_native.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(scope="module", params=["bwrap", "docker"])
def sandbox(request):
    from harness.sandbox.bwrap import bwrap_usable
    from harness.sandbox.docker_backend import engine_error

    why = bwrap_usable() if request.param == "bwrap" else engine_error()
    if why:
        pytest.skip(f"{request.param}: {why}")
    with get_sandbox(request.param, limits=Limits(timeout_s=10, memory_mb=512), workers=2) as sb:
        yield sb


def test_gold_programs_pass_and_wrong_ones_fail_on_the_real_rows(lcb_file, sandbox):
    exs = {e["id"]: e for e in load_window("all", ALL_TIME, str(lcb_file))}
    assert set(exs) == set(VARIANTS)
    pairs, want = [], []
    for qid, variants in VARIANTS.items():
        for i, (_, code, passes) in enumerate(variants):
            pairs.append((exs[qid], completion(code, i)))
            want.append(passes)
    got = verify_code_many(pairs, sandbox)
    gold = [v.reward for v, w in zip(got, want, strict=True) if w]
    wrong = [v.reward for v, w in zip(got, want, strict=True) if not w]
    assert len(gold) >= 19 and len(wrong) >= 25
    assert sum(gold) / len(gold) == 1.0, [v.details for v, w in zip(got, want, strict=True) if w and not v.correct]
    assert sum(wrong) == 0.0, [v.details for v, w in zip(got, want, strict=True) if not w and v.correct]
    assert all(v.details["n_total"] == len(ex["label"]["tests"]) for v, (ex, _) in zip(got, pairs, strict=True))


def test_results_faking_equality_fail_on_the_real_functional_rows(lcb_file, sandbox):
    exs = {e["id"]: e for e in load_window("all", ALL_TIME, str(lcb_file))}
    got = verify_code_many([(exs[q], completion(c)) for q, c in CHEATS.items()], sandbox)
    assert [v.correct for v in got] == [False] * len(CHEATS)
    assert all("result rejected" in v.details["detail"] for v in got)


def test_code_is_taken_as_lcb_runner_takes_it():
    """extraction_utils.py:13-17: between the last two fence lines; fewer than two fences: no code."""
    assert extract_code_lcb("```python\na=1\n```\nthen\n```py\nb=2\n```\n") == "b=2"
    assert extract_code_lcb("<think>```python\nx\n```</think>plain print(1)") == ""
    assert extract_code_lcb("```python\nunclosed = 1\n") == ""


def test_windows_on_the_real_file_inclusive(lcb_file, capsys):
    v5, v6 = get_suite("lcb-v5").load(str(lcb_file)), get_suite("lcb-v6").load(str(lcb_file))
    assert [e["id"] for e in v5] == ["1873_A_dated_v5", "3708"]
    assert sorted(e["id"] for e in v6) == ["3768", "3790", "3811", "abc395_a"]
    err = capsys.readouterr().err
    assert "lcb-v5: 2 problems (release_v5, contests 2024-08-01 to 2025-02-01 inclusive)" in err
    assert "lcb-v6: 4 problems" in err
    assert LCB_WINDOWS["lcb-v5"].release == "release_v5" and LCB_WINDOWS["lcb-v6"].end == date(2025, 5, 1)
    assert len(get_suite("lcb-v6-new").load(str(lcb_file))) == 7  # a whole file, no date filter


def _row(qid, when, functional=False, private=None):
    tt = "functional" if functional else "stdin"
    pub = json.dumps([{"input": "1", "output": "1", "testtype": tt}])
    return {"question_id": qid, "question_content": "Q", "starter_code": "", "contest_date": when,
            "public_test_cases": pub, "private_test_cases": private if private is not None else "[]",
            "metadata": json.dumps({"func_name": "f"} if functional else {})}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_release_files_directory_and_several_files(tmp_path, capsys):
    assert release_files("release_v6") == [f"test{'' if i == 1 else i}.jsonl" for i in range(1, 7)]
    assert release_files("v6") == ["test6.jsonl"] and release_files("v1") == ["test.jsonl"]
    with pytest.raises(UserError, match="expected release_vN"):
        release_files("6")
    d = tmp_path / "lcb"
    d.mkdir()
    for i, when in enumerate(["2025-02-01T00:00:00", "2025-02-01T18:30:00", "2025-05-01T00:00:00"], 4):
        _write(d / f"test{i}.jsonl", [_row(f"p{i}", when)])
    _write(d / "test5.jsonl", [_row("p5", "2025-03-03T10:00:00"), _row("edge", "2025-05-01T00:00:01")])
    cumulative = load_window("w", LCBWindow("release_v6", date(2025, 2, 1), date(2025, 5, 1)), str(d))
    assert sorted(e["id"] for e in cumulative) == ["p4", "p5", "p6"]  # test5 replaced; 05-01 00:00:01 is out
    assert "lacks test.jsonl, test2.jsonl, test3.jsonl" in capsys.readouterr().err
    one = load_window("w", LCBWindow("v6", date(2025, 2, 1), date(2025, 5, 1)), str(d))
    assert [e["id"] for e in one] == ["p6"]
    listed = load_window("w", LCBWindow("v6", date(2025, 2, 1), date(2025, 5, 1)),
                         f"{d / 'test4.jsonl'},{d / 'test5.jsonl'}")
    assert sorted(e["id"] for e in listed) == ["p4", "p5"]
    with pytest.raises(UserError, match="none is there"):
        load_window("w", LCBWindow("v3", date(2025, 2, 1), date(2025, 5, 1)), str(d))


def test_private_tests_json_or_pickled_blob(tmp_path):
    tests = [{"input": "2", "output": "2", "testtype": "stdin"}]
    blob = base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()
    path = _write(tmp_path / "t.jsonl", [_row("a", "2025-03-01T00:00:00", private=json.dumps(tests)),
                                          _row("b", "2025-03-01T00:00:00", private=blob)])
    exs = load_window("w", LCB_WINDOWS["lcb-v6"], str(path))
    assert [len(e["label"]["tests"]) for e in exs] == [2, 2]


@pytest.mark.parametrize(("row", "message"), [
    (_row("a", "2025-03-01T00:00:00", private="eJzLSM3JyVcozy/KSQEAGgQEXQ=="),
     r"t\.jsonl:2: field private_test_cases: neither JSON nor base64\(zlib\(pickle\(JSON\)\)\)"),
    (_row("a", "2025-03-01T00:00:00", private="not a blob!"), r"t\.jsonl:2: field private_test_cases"),
    ({**_row("a", "2025-03-01T00:00:00", functional=True), "metadata": "{}"},
     r"t\.jsonl:2: field metadata\.func_name: missing for a call-based"),
    (_row("a", "March 2025"), r"t\.jsonl:2: field contest_date: 'March 2025' is not an ISO date"),
    ({"question": "an AIME row", "answer": "3"}, r"t\.jsonl:2: a LiveCodeBench row needs field 'contest_date'"),
])
def test_bad_rows_name_file_line_and_field(tmp_path, row, message):
    path = _write(tmp_path / "t.jsonl", [_row("ok", "2025-03-01T00:00:00"), row])
    with pytest.raises(UserError, match=message):
        load_window("w", LCB_WINDOWS["lcb-v6"], str(path))


def test_data_spec_errors(tmp_path):
    with pytest.raises(UserError, match="no such file or directory"):
        load_window("w", LCB_WINDOWS["lcb-v6"], str(tmp_path / "nope.jsonl"))


def test_score_cli_takes_a_directory(lcb_file, tmp_path, capsys):
    from harness.cli import main

    d = tmp_path / "release"
    d.mkdir()
    shutil.copy(lcb_file, d / "test6.jsonl")
    code = VARIANTS["3811"][0][1]
    resp = _write(tmp_path / "r.jsonl", [{"question_id": "3811", "response": completion(code)}])
    assert main(["score", "--suite", "lcb-v6", "--data", str(d), "--responses", str(resp), "--sandbox", "bwrap"]) == 0
    out = capsys.readouterr()
    assert "lcb-v6: 4 problems" in out.err
    assert json.loads(out.out.strip().splitlines()[-1])["accuracy"] == 1.0  # the one problem answered


def test_without_data_the_hub_files_are_fetched_or_one_line_says_how(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match=r"suite lcb-v5: cannot fetch livecodebench/code_generation_lite release_v5 .*"
                                        r"test\.jsonl, test2\.jsonl, test3\.jsonl, test4\.jsonl, test5\.jsonl"):
        get_suite("lcb-v5").load(None)


def test_eval_data_flag_takes_a_directory_or_several_files(tmp_path):
    from harness.eval.cli import _data

    a, b = _write(tmp_path / "test5.jsonl", []), _write(tmp_path / "test6.jsonl", [])
    assert _data([f"lcb-v6={a},{b}", f"lcb-v5={tmp_path}"]) == {"lcb-v6": f"{a},{b}", "lcb-v5": str(tmp_path)}
    with pytest.raises(UserError, match="does not exist"):
        _data([f"lcb-v6={a},{tmp_path / 'test7.jsonl'}"])
