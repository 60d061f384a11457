import gzip
import json
import re

import pytest

from harness.cli import main


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def _fails(capsys, args, pattern):
    """A user error: exit 2 and one line on stderr matching ``pattern`` (no traceback)."""
    assert main(["score", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert re.search(pattern, err) and "Traceback" not in err and len(err.splitlines()) == 1, err


def _metrics(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture
def math_data(tmp_path):
    rows = [{"id": "a", "problem": "1+1?", "answer": "2"}, {"id": "b", "problem": "Half of 1?", "answer": "1/2"},
            {"id": "c", "problem": "10*100?", "answer": "1000"}]
    p = tmp_path / "data.jsonl.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows))
    return p


def test_score_single_responses(math_data, tmp_path, capsys):
    resp = _write(tmp_path / "r.jsonl", [{"id": "a", "response": "\\boxed{2}"}, {"id": "b", "response": "Answer: 0.5"},
                                          {"id": "c", "response": "\\boxed{1,001}"}])
    assert main(["score", "--suite", "math", "--data", str(math_data), "--responses", str(resp),
                 "--out", str(tmp_path / "v.jsonl")]) == 0
    m = _metrics(capsys)
    assert m["accuracy"] == pytest.approx(2 / 3) and m["n"] == 3
    rows = [json.loads(x) for x in open(tmp_path / "v.jsonl")]
    assert [r["correct"] for r in rows] == [True, True, False] and rows[0]["prompt"].startswith("1+1?")


def test_score_k_samples_and_prompt_matching(math_data, tmp_path, capsys):
    resp = _write(tmp_path / "r.jsonl", [
        {"id": "a", "responses": ["\\boxed{2}", "\\boxed{3}", "\\boxed{2}", "\\boxed{2}"]},
        {"prompt": "  Half of\n1?", "responses": ["\\boxed{1/2}"] * 4},  # no id: matched by prompt text
    ])
    main(["score", "--suite", "math", "--data", str(math_data), "--responses", str(resp)])
    m = _metrics(capsys)
    assert m["n"] == 2 and m["n_unanswered"] == 1 and m["n_responses"] == 8
    assert m["avg@4"] == pytest.approx((0.75 + 1.0) / 2) and m["pass@4"] == 1.0


def test_malformed_line_names_file_and_line(math_data, tmp_path, capsys):
    resp = _write(tmp_path / "r.jsonl", [{"id": "a", "response": "\\boxed{2}"}, "{not json", {"id": "b", "response": "1"}])
    _fails(capsys, ["--suite", "math", "--data", str(math_data), "--responses", str(resp)], r"r\.jsonl:2: malformed line")
    assert main(["score", "--suite", "math", "--data", str(math_data), "--responses", str(resp), "--skip-bad"]) == 0
    m = _metrics(capsys)
    assert m["skipped_lines"] == 1 and m["n"] == 2


def test_unmatched_and_missing_response_fields(math_data, tmp_path, capsys):
    resp = _write(tmp_path / "r.jsonl", [{"id": "zzz", "response": "1"}])
    _fails(capsys, ["--suite", "math", "--data", str(math_data), "--responses", str(resp)],
           r"no response matched any of the 3 examples \(first unmatched: .*r\.jsonl:1")
    resp = _write(tmp_path / "r2.jsonl", [{"id": "a", "answer": "1"}])
    _fails(capsys, ["--suite", "math", "--data", str(math_data), "--responses", str(resp)], r"r2\.jsonl:1: needs 'response'")
    bad_data = _write(tmp_path / "d.jsonl", [{"id": "a", "problem": "x"}])
    _fails(capsys, ["--suite", "math", "--data", str(bad_data), "--responses", str(resp)],
           r"d\.jsonl:1: a math row needs problem and answer .*missing \['answer'\]")


def test_unknown_suite_and_missing_file(tmp_path, capsys):
    _fails(capsys, ["--suite", "ifevl", "--responses", str(tmp_path / "x.jsonl")], "did you mean 'ifeval'")
    _fails(capsys, ["--suite", "math", "--data", str(tmp_path / "nope.jsonl"), "--responses", "x"], "no such file")


def test_mcq_suite(tmp_path, capsys):
    data = _write(tmp_path / "d.jsonl", [{"id": 1, "question": "2+2?", "choices": ["3", "4", "5", "6"], "answer": "B"},
                                         {"id": 2, "question": "Sky?", "choices": ["blue", "red"], "answer": 0}])
    resp = _write(tmp_path / "r.jsonl", [{"id": 1, "response": "It is 4.\nAnswer: B"}, {"id": 2, "response": "Answer: B"}])
    main(["score", "--suite", "mcq", "--data", str(data), "--responses", str(resp)])
    assert _metrics(capsys)["accuracy"] == 0.5


def test_if_suite_metrics_and_checker_errors(tmp_path, capsys):
    data = _write(tmp_path / "d.jsonl", [
        {"key": 1, "prompt": "Say hi in lowercase.", "instruction_id_list": ["change_case:english_lowercase"], "kwargs": [{}]},
        {"key": 2, "prompt": "Say hi.", "instruction_id_list": ["change_case:english_lowercase", "made_up:thing"],
         "kwargs": [{}, {}]},
    ])
    resp = _write(tmp_path / "r.jsonl", [{"key": 1, "response": "hello there, this is a short reply about the weather today."},
                                         {"key": 2, "response": "hello, the weather is lovely and warm this morning."}])
    main(["score", "--suite", "ifeval", "--data", str(data), "--responses", str(resp), "--out", str(tmp_path / "v.jsonl")])
    m = _metrics(capsys)
    assert m["prompt_strict"] == 50.0 and m["inst_strict"] == pytest.approx(200 / 3) and m["checker_errors"] == 1
    rows = [json.loads(x) for x in open(tmp_path / "v.jsonl")]
    assert rows[1]["details"]["strict"] == [True, False] and "made_up:thing" in rows[1]["details"]["errors"]


def test_list_suites(capsys):
    assert main(["score", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("aime24", "lcb-v6", "gpqa-diamond", "ifbench", "mmlu-redux", "micro-code", "humaneval", "mcq"):
        assert name in out
    _fails(capsys, ["--suite", "math"], "needs --suite NAME and --responses FILE")
