import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from domains.instruction_following.verify import check_instructions, verify_if

REPO = Path(__file__).resolve().parents[2]


def _ex(ids, kwargs, prompt="Write something."):
    return {"id": "x", "domain": "if", "messages": [{"role": "user", "content": prompt}],
            "label": {"instruction_id_list": ids, "kwargs": kwargs, "prompt": prompt}}


TEXT = "the weather is mild today and the river runs slowly past the old mill near our village."


def test_unknown_instruction_counts_as_not_followed_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING):
        v = verify_if(_ex(["change_case:english_lowercase", "no_such:thing"], [{}, {}]), TEXT)
    assert v.details["strict"] == [True, False] and v.details["loose"] == [True, False] and not v.correct
    assert "no_such:thing" in v.details["errors"] and "unknown IF instruction id" in caplog.text


def test_raising_checker_counts_as_not_followed_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING):
        v = verify_if(_ex(["length_constraints:number_words"], [{"relation": "roughly", "num_words": 5}]), TEXT)
    assert v.details["strict"] == [False] and "raised" in v.details["errors"]["length_constraints:number_words"]
    assert "counted as not followed" in caplog.text


def test_invalid_kwarg_replaced_at_random_is_not_followed():
    # the published letter-frequency checker silently picks a random letter for letter='!'
    d = check_instructions("wow!!!!!!!", ["keywords:letter_frequency"],
                           [{"letter": "!", "let_frequency": 3, "let_relation": "at least"}], "p")
    assert d["strict"] == [False] and "replaced invalid kwargs" in d["errors"]["keywords:letter_frequency"]


def test_thinking_is_not_checked_and_loose_variants():
    ex = _ex(["change_case:english_lowercase"], [{}])
    assert verify_if(ex, "<think>PLAN IN CAPITALS</think>\n" + TEXT).correct
    d = verify_if(ex, "Sure! Here It Is:\n" + TEXT).details
    assert d["strict"] == [False] and d["loose"] == [True]


def test_empty_response_follows_nothing():
    d = verify_if(_ex(["punctuation:no_comma"], [{}]), "   ").details
    assert d["strict"] == [False] and d["loose"] == [False]


def test_ifbench_registry():
    ex = _ex(["count:word_count_range"], [{"min_words": 3, "max_words": 30}])
    ex["label"]["registry"] = "ifbench"
    assert verify_if(ex, TEXT).correct


def test_missing_nltk_resource_is_one_line(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"key": 1, "prompt": "p", "instruction_id_list": ["punctuation:no_comma"],
                                "kwargs": [{}]}) + "\n")
    resp = tmp_path / "r.jsonl"
    resp.write_text(json.dumps({"key": 1, "response": "hello"}) + "\n")
    env = {**os.environ, "NLTK_DATA": str(tmp_path / "empty"), "HOME": str(tmp_path)}
    code = "from harness.cli import main; raise SystemExit(main())"
    r = subprocess.run([sys.executable, "-c", code, "score", "--suite", "ifeval", "--data", str(data),
                        "--responses", str(resp)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "punkt_tab" in lines[0] and "nltk.downloader punkt_tab" in lines[0]
