import json
import re

import pytest

from domains.rl_data import iter_nemotron, map_nemotron, rl_data
from harness.errors import UserError

# hand-written records in the Nemotron-3 Nano RL blend's format (see reference/paper_settings.md, "RL data")
RECORDS = [
    {"dataset": "nano_v3_sft_profiled_dapo17k", "responses_create_params": {"input": [{"role": "user", "content": "What is 2+3?"}]},
     "expected_answer": "5"},
    {"dataset": "nano_v3_sft_profiled_stem_mcqa", "responses_create_params": {"input": [{"role": "system", "content": "Be brief."},
                                                                   {"role": "user", "content": "Unit of force? A) N B) J"}]},
     "expected_answer": "a", "options": [{"A": "N"}, {"B": "J"}]},
    {"dataset": "nano_v3_sft_profiled_instruction_following", "responses_create_params": {"input": "Write in lowercase."},
     "instruction_id_list": ["change_case:english_lowercase"], "kwargs": [{}], "prompt": "Write in lowercase."},
    {"dataset": "nano_v3_sft_profiled_comp_coding_50tests", "responses_create_params": {"input": [{"role": "user", "content": "Sum two ints."}]},
     "verifier_metadata": {"unit_tests": {"inputs": ["1 2\n", "3 4\n"], "outputs": ["3\n", "7\n"]}}},
    {"dataset": "nano_v3_sft_profiled_structured_outputs", "responses_create_params": {"input": "Give JSON."}},
    {"dataset": "agentic_tools", "responses_create_params": {"input": "Call a tool."}},
]


def test_mapping_per_subset():
    ex = [map_nemotron(r) for r in RECORDS]
    assert [e and e["domain"] for e in ex] == ["math", "science", "if", "code", None, None]
    assert ex[0]["label"] == "5" and ex[0]["messages"] == [{"role": "user", "content": "What is 2+3?"}]
    assert ex[1]["label"] == {"answer": "A", "n_choices": 2} and ex[1]["messages"][0]["role"] == "system"
    assert ex[2]["label"]["instruction_id_list"] == ["change_case:english_lowercase"]
    assert ex[3]["label"] == {"format": "stdio", "tests": [{"input": "1 2\n", "output": "3\n"},
                                                           {"input": "3 4\n", "output": "7\n"}]}


def test_mapped_rows_verify_with_the_domain_verifiers():
    from domains.registry import verify

    ex = {e["domain"]: e for e in iter_nemotron(RECORDS, "math")} | {e["domain"]: e for e in iter_nemotron(RECORDS, "science")}
    assert verify(ex["math"], "\\boxed{5}").correct
    assert verify(ex["science"], "Answer: A").correct


def test_domain_filter_limit_and_ids():
    got = list(iter_nemotron(RECORDS * 3, "if", limit=2))
    assert len(got) == 2 and all(e["domain"] == "if" for e in got) and got[0]["id"] != got[1]["id"]


def test_unresolved_math_placeholder_is_an_error():
    rec = {"dataset": "nano_v3_sft_profiled_skywork_no_omni", "responses_create_params": {"input": "x"},
           "_hf_placeholder": {"row": 1}}
    with pytest.raises(UserError, match="create_nanov3_jsonl"):
        map_nemotron(rec, "blend.jsonl:7")


def test_local_blend_file(tmp_path):
    p = tmp_path / "blend.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    got = list(rl_data("code", f"nemotron:{p}"))
    assert len(got) == 1 and got[0]["label"]["format"] == "stdio"


def test_plain_jsonl(tmp_path):
    p = tmp_path / "plain.jsonl"
    p.write_text('{"prompt": "1+1?", "answer": "2"}\n{"id": "q2", "prompt": "2+2?", "answer": 4}\n')
    got = list(rl_data("math", str(p)))
    assert [e["id"] for e in got] == ["math-1", "q2"] and got[1]["label"] == "4"
    p.write_text('{"prompt": "1+1?", "answer": "2"}\n{"answer": "4"}\n')
    with pytest.raises(UserError, match=re.escape(f"{p}:2: missing field 'prompt'")):
        list(rl_data("math", str(p)))


def test_micro_source():
    got = list(rl_data("science", "micro", limit=5))
    assert len(got) == 5 and all(e["meta"]["split"] == "rl" for e in got)


def test_coding_rows_keep_at_most_20_tests_deterministically():
    rec = {"dataset": "nano_v3_sft_profiled_comp_coding_50tests", "responses_create_params": {"input": "x"},
           "verifier_metadata": {"unit_tests": {"inputs": [f"{i}\n" for i in range(50)], "outputs": [f"{i}\n" for i in range(50)]}}}
    a, b = map_nemotron(rec, "blend:3"), map_nemotron(rec, "blend:3")
    assert len(a["label"]["tests"]) == 20 and a == b and a["meta"]["tests_sampled_from"] == 50
    assert all(t["input"] == t["output"] for t in a["label"]["tests"])
