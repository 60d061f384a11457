"""The Nemotron-3 Nano RL blend's record format, on the public rows in ../shared/external/nemotron/ (read there,
never copied): every subset to its domain, rows verified in their own answer format, unmapped subsets warned."""

from __future__ import annotations

import json
import logging
import re

import pytest

from domains.registry import verify
from domains.rl_data import iter_nemotron, map_nemotron, rl_data
from harness.errors import UserError
from harness.paths import external_dir

BLEND = external_dir() / "nemotron" / "with-blend-labels"
GYM = external_dir() / "nemotron" / "gym-examples"
EXPECTED = {  # file -> domain (None: the study drops it, or no domain of ours)
    "math_with_judge__nano_v3_sft_profiled_dapo17k.jsonl": "math",
    "math_with_judge__nano_v3_sft_profiled_skywork_no_omni.jsonl": "math",
    "mcqa__nano_v3_sft_profiled_stem_mcqa.jsonl": "science",
    "mcqa_with_template_metadata__nano_v3_sft_profiled_stem_mcqa.jsonl": "science",
    "instruction_following__nano_v3_sft_profiled_instruction_following.jsonl": "if",
    "code_gen__nano_v3_sft_profiled_comp_coding_50tests.jsonl": "code",
    "structured_outputs__nano_v3_sft_profiled_structured_outputs.jsonl": None,
    "workplace_assistant__nano_v3_sft_profiled_workbench.jsonl": None,  # the paper's agent domain: not here
}


def rows(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def all_rows():
    return [r for name in sorted(EXPECTED) for r in rows(BLEND / name)]


@pytest.fixture(scope="module")
def blend_file(tmp_path_factory):
    """Every labelled file concatenated: one blend-shaped train.jsonl, as the hub's is."""
    p = tmp_path_factory.mktemp("blend") / "train.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in all_rows()))
    return p


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_subset_maps_to_its_domain(name):
    got = [map_nemotron(r, f"{name}:{i}") for i, r in enumerate(rows(BLEND / name), 1)]
    assert len(got) == 5
    assert [e and e["domain"] for e in got] == [EXPECTED[name]] * 5


def test_all_ten_math_rows_load_with_their_answers(blend_file):
    got = list(rl_data("math", f"nemotron:{blend_file}"))
    want = [r["expected_answer"] for n in sorted(EXPECTED) if EXPECTED[n] == "math" for r in rows(BLEND / n)]
    assert len(got) == 10 and [e["label"] for e in got] == want
    assert {e["meta"]["subset"] for e in got} == {"nano_v3_sft_profiled_dapo17k", "nano_v3_sft_profiled_skywork_no_omni"}
    assert verify(got[0], f"so the count is \\boxed{{{want[0]}}}").reward == 1.0
    assert verify(got[0], "\\boxed{-1}").reward == 0.0


def _in_format(regex: str, letter: str) -> str:
    """A completion in the format ``regex`` asks for (the five formats of Gym's mcqa templates)."""
    for key, text in (("Option Selected", "Option Selected: {}"), ("Final Choice", "Final Choice: {}"),
                      ("ANSWER IS", "THE ANSWER IS {}"), ("boxed", "Answer: \\boxed{{{}}}"), ("Answer", "Answer: {}")):
        if key in regex:
            return "Let me think about each option.\n" + text.format(letter)
    raise AssertionError(f"no format for {regex}")


def test_stem_rows_are_scored_in_the_format_each_row_asks_for():
    templ = rows(BLEND / "mcqa_with_template_metadata__nano_v3_sft_profiled_stem_mcqa.jsonl")
    seen = set()
    for i, rec in enumerate(templ, 1):
        ex = map_nemotron(rec, f"templ:{i}")
        regex = rec["template_metadata"]["output_regex"]
        assert ex["label"]["answer_regex"] == regex and ex["label"]["n_choices"] == 10
        gold = rec["expected_answer"]
        wrong = "A" if gold != "A" else "B"
        assert verify(ex, _in_format(regex, gold)).reward == 1.0, regex
        assert verify(ex, _in_format(regex, wrong)).reward == 0.0, regex
        seen.add(re.sub(r"[^A-Za-z ]", "", regex).split()[0])
    assert len(seen) == 5  # all five answer formats were exercised


def test_a_correct_final_choice_gets_reward_1():
    rec = next(r for r in rows(BLEND / "mcqa_with_template_metadata__nano_v3_sft_profiled_stem_mcqa.jsonl")
               if "Final Choice" in r["template_metadata"]["output_regex"])
    ex = map_nemotron(rec, "row")
    assert verify(ex, f"<think>C looks wrong.</think>\nFinal Choice: {rec['expected_answer']}").reward == 1.0
    assert verify(ex, "<think>hmm</think>\nFinal Choice: C").reward == float(rec["expected_answer"] == "C")


def test_untemplated_stem_rows_grade_the_boxed_letter():
    rec = rows(BLEND / "mcqa__nano_v3_sft_profiled_stem_mcqa.jsonl")[0]
    ex = map_nemotron(rec, "row")
    assert verify(ex, f"\\boxed{{{rec['expected_answer']}}}").reward == 1.0
    assert verify(ex, f"Answer: {rec['expected_answer']}").reward == 0.0  # strict_single_letter_boxed


def test_if_rows_keep_ids_kwargs_and_run_in_the_if_verifier():
    got = list(rl_data("if", f"nemotron:{BLEND / 'instruction_following__nano_v3_sft_profiled_instruction_following.jsonl'}"))
    raw = rows(BLEND / "instruction_following__nano_v3_sft_profiled_instruction_following.jsonl")
    assert [e["label"]["instruction_id_list"] for e in got] == [r["instruction_id_list"] for r in raw]
    assert [e["id"] for e in got] == [str(r["id"]) for r in raw]
    for e in got:
        v = verify(e, "x")
        assert v.reward in (0.0, 1.0) and "strict" in v.details


def test_code_rows_carry_their_unit_tests():
    got = list(rl_data("code", f"nemotron:{BLEND / 'code_gen__nano_v3_sft_profiled_comp_coding_50tests.jsonl'}"))
    raw = rows(BLEND / "code_gen__nano_v3_sft_profiled_comp_coding_50tests.jsonl")
    for e, r in zip(got, raw, strict=True):
        n = len(r["verifier_metadata"]["unit_tests"]["inputs"])
        assert len(e["label"]["tests"]) == min(n, 20) and e["id"] == r["hash_id"]


def test_gym_rows_labelled_by_upstream_source_are_code():
    got = list(rl_data("code", f"nemotron:{GYM / 'code_gen.jsonl'}"))
    assert len(got) == 5 and {e["meta"]["subset"] for e in got} == {"taco"}


def test_unmapped_subsets_are_warned_with_their_counts(blend_file, caplog):
    with caplog.at_level(logging.WARNING, logger="domains.rl_data"):
        got = list(rl_data("science", f"nemotron:{blend_file}"))
    assert len(got) == 10
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("5 rows of subset nano_v3_sft_profiled_structured_outputs" in w and "dropped" in w for w in warned)
    assert any("5 rows of subset nano_v3_sft_profiled_workbench" in w and "'agent'" in w for w in warned)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="domains.rl_data"):
        assert list(rl_data("math", f"nemotron:{GYM / 'math_with_judge.jsonl'}")) == []
    assert "5 rows of subset (no dataset label)" in caplog.text


def test_placeholder_rows_are_refused_with_the_restore_command(tmp_path):
    rec = dict(rows(BLEND / "math_with_judge__nano_v3_sft_profiled_dapo17k.jsonl")[0])
    for k in ("question", "expected_answer", "responses_create_params"):
        rec.pop(k)
    rec["_hf_placeholder"] = {"source": "dapo17k", "row": 17}
    p = tmp_path / "train.jsonl"
    p.write_text(json.dumps(rows(BLEND / "mcqa__nano_v3_sft_profiled_stem_mcqa.jsonl")[0]) + "\n" + json.dumps(rec) + "\n")
    with pytest.raises(UserError, match=re.escape(f"{p}:2: math row is an unresolved _hf_placeholder")) as e:
        list(rl_data("math", f"nemotron:{p}"))
    assert "create_nanov3_jsonl.py --input data/train.jsonl --output data/train-full.jsonl" in str(e.value)


@pytest.mark.parametrize("limit,n", [(0, 10), (None, 10), (3, 3)])
def test_one_limit_rule(blend_file, limit, n):
    assert len(list(rl_data("math", f"nemotron:{blend_file}", limit=limit))) == n
    assert len(list(iter_nemotron(rows(blend_file), "math", limit=limit))) == n


def test_micro_needs_a_count():
    with pytest.raises(UserError, match="micro RL data is generated"):
        rl_data("math", "micro", limit=0)
