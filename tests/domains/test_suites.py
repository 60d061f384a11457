import base64
import json
import os
import pickle
import zlib

import pytest

from domains.registry import get_suite, verify
from harness.errors import UserError


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_aime_local(tmp_path):
    exs = get_suite("aime24").load(_jsonl(tmp_path / "a.jsonl", [{"id": 60, "problem": "Find x.", "answer": "204"}]))
    assert exs[0]["id"] == "60" and "\\boxed{}" in exs[0]["messages"][0]["content"]
    assert verify(exs[0], "so \\boxed{204}").correct
    assert get_suite("aime24").k == 16 and get_suite("aime25").k == 16


def _gpqa_row(i):
    return {"Record ID": f"rec{i}", "Question": f"Q{i}?", "Correct Answer": f"right{i}",
            "Incorrect Answer 1": "w1", "Incorrect Answer 2": "w2", "Incorrect Answer 3": "w3"}


def test_gpqa_shuffled_with_seed(tmp_path):
    path = _jsonl(tmp_path / "g.jsonl", [_gpqa_row(i) for i in range(40)])
    a, b = get_suite("gpqa-diamond").load(path), get_suite("gpqa-diamond").load(path)
    assert a == b and get_suite("gpqa-diamond").k == 4
    letters = {e["label"]["answer"] for e in a}
    assert len(letters) >= 3  # the correct answer is not always first
    for e in a:
        line = next(x for x in e["messages"][0]["content"].splitlines() if x.startswith(e["label"]["answer"] + ")"))
        assert line.endswith(f"right{e['id'][3:]}")


def test_hle_text_only_mcq_and_exact(tmp_path):
    rows = [{"id": "h1", "question": "Pick one. A) x B) y", "answer": "B", "answer_type": "multipleChoice", "image": ""},
            {"id": "h2", "question": "Name it.", "answer": "Ammonia", "answer_type": "exactMatch", "image": ""},
            {"id": "h3", "question": "See image", "answer": "C", "answer_type": "multipleChoice", "image": "data:..."}]
    exs = get_suite("hle").load(_jsonl(tmp_path / "h.jsonl", rows))
    assert [e["id"] for e in exs] == ["h1", "h2"]
    assert verify(exs[0], "Explanation: ...\nAnswer: B").correct
    assert verify(exs[1], "Answer: ammonia.").correct and not verify(exs[1], "Answer: water").correct


def test_mmlu_redux_drops_error_annotated(tmp_path):
    rows = [{"question": "2+2?", "choices": ["3", "4", "5", "6"], "answer": 1, "error_type": "ok", "subject": "math"},
            {"question": "Bad?", "choices": ["a", "b", "c", "d"], "answer": 0, "error_type": "wrong_groundtruth"},
            {"question": "Unclear?", "choices": ["a", "b", "c", "d"], "answer": 0, "error_type": "bad_question_clarity"}]
    exs = get_suite("mmlu-redux").load(_jsonl(tmp_path / "m.jsonl", rows))
    assert len(exs) == 1 and exs[0]["label"]["answer"] == "B"
    assert verify(exs[0], "Answer: B").correct


def test_mcq_bad_answer_names_line(tmp_path):
    with pytest.raises(UserError, match=r"m\.jsonl:1: 'answer' must be a letter"):
        get_suite("mcq").load(_jsonl(tmp_path / "m.jsonl", [{"question": "q", "choices": ["a", "b"], "answer": "Z"}]))


def _blob(obj) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(obj)))).decode()


def _lcb_row(qid, date, functional=False):
    if functional:
        pub = [{"input": "[1, 2]\n3", "output": "[0, 1]", "testtype": "functional"}]
        priv = [{"input": "[3, 3]\n6", "output": "[0, 1]", "testtype": "functional"}]
    else:
        pub = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
        priv = [{"input": "5 5\n", "output": "10\n", "testtype": "stdin"}]
    return {"question_id": qid, "question_content": "Q", "starter_code": "class Solution:\n    def twoSum(self, nums, target):\n" if functional else "",
            "public_test_cases": json.dumps(pub), "private_test_cases": _blob(priv),
            "metadata": json.dumps({"func_name": "twoSum"} if functional else {}), "contest_date": date}


def test_lcb_windows_and_tests(tmp_path):
    rows = [_lcb_row("old", "2024-05-01T00:00:00"), _lcb_row("v5", "2024-10-01T00:00:00", functional=True),
            _lcb_row("v6", "2025-03-01T00:00:00")]
    path = _jsonl(tmp_path / "l.jsonl", rows)
    v5, v6 = get_suite("lcb-v5").load(path), get_suite("lcb-v6").load(path)
    assert [e["id"] for e in v5] == ["v5"] and [e["id"] for e in v6] == ["v6"]
    assert v5[0]["label"]["format"] == "functional" and v5[0]["label"]["fn_name"] == "twoSum"
    assert len(v5[0]["label"]["tests"]) == 2 and len(v6[0]["label"]["tests"]) == 2  # public + private


def test_lcb_private_blob_refuses_globals(tmp_path):
    evil = base64.b64encode(zlib.compress(pickle.dumps(os.getcwd))).decode()
    row = {**_lcb_row("v6", "2025-03-01T00:00:00"), "private_test_cases": evil}
    with pytest.raises(UserError, match=r"l\.jsonl:1: field private_test_cases: neither JSON"):
        get_suite("lcb-v6").load(_jsonl(tmp_path / "l.jsonl", [row]))


def test_ifeval_native_file(external):
    exs = get_suite("ifeval").load(str(external / "ifeval/input_data.jsonl"))
    assert len(exs) == 541 and get_suite("ifeval").id_field == "key"
    assert all(None not in kw.values() for e in exs for kw in e["label"]["kwargs"])


def test_benchmark_files_in_every_table_format(external, tmp_path):
    """The same AIME rows as JSONL, gzipped JSONL, JSON, parquet and CSV load to the same examples."""
    import gzip

    import pyarrow as pa
    import pyarrow.parquet as pq

    src = external / "benchmarks/aime25/aime25_math-ai_schema.jsonl"
    rows = [json.loads(line) for line in open(src)]
    (tmp_path / "a.json").write_text(json.dumps(rows))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "a.parquet")
    with gzip.open(tmp_path / "a.jsonl.gz", "wt") as fh:
        fh.write(src.read_text())
    import csv

    with open(tmp_path / "a.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    want = get_suite("aime25").load(str(src))
    for f in ("a.json", "a.parquet", "a.jsonl.gz", "a.csv"):
        got = get_suite("aime25").load(str(tmp_path / f))
        assert [(e["id"], e["label"], e["messages"]) for e in got] == [(e["id"], e["label"], e["messages"]) for e in want]
    (tmp_path / "bad.csv").write_text("id,problem,answer\n1,\"two\nlines\",3\n2,x\n")
    with pytest.raises(UserError, match=r"bad\.csv:4: malformed CSV record"):
        get_suite("aime25").load(str(tmp_path / "bad.csv"))
    (tmp_path / "bad.json").write_text('{"id": 1}')
    with pytest.raises(UserError, match=r"bad\.json: a \.json benchmark file must be a list of objects"):
        get_suite("aime25").load(str(tmp_path / "bad.json"))
