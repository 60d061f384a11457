"""Conformance of the IF checkers on the published files in ../shared/external (see the issue)."""

import json

import pytest

from harness.cli import main

PAPER_IFEVAL = {"prompt_strict": 76.89, "inst_strict": 83.57, "prompt_loose": 79.30, "inst_loose": 85.37}
# what our checkers measure on GPT-4's published responses, as counts (541 prompts, 834 instructions): pinned exactly,
# so one flipped verdict fails the test (one prompt is 0.18 points, within any tolerance around the paper)
MEASURED_IFEVAL = {"prompt_strict": 415 / 541, "inst_strict": 696 / 834, "prompt_loose": 429 / 541,
                   "inst_loose": 712 / 834}
# Two prompts ask for the frequency of a character that is not a letter ('#' in 1122, '!' in 1129). The published
# checker then draws a random letter (so its verdict, and the published figure, depend on that draw); we count the
# instruction not followed and say so in details.errors. On every other prompt the verdicts must be equal.
RANDOM_IN_THE_PUBLISHED_CHECKER = {1122, 1129}


def _score(capsys, *args):
    assert main(["score", *args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.slow
def test_ifeval_gpt4_figures_pinned_and_verdicts_equal_the_published_checker(external, capsys, tmp_path):
    from if_verifiable import IFEvalSample, evaluate_output_for_sample

    data = external / "ifeval/input_data.jsonl"
    resp = external / "ifeval/input_response_data_gpt4_20231107_145030.jsonl"
    m = _score(capsys, "--suite", "ifeval", "--data", str(data), "--responses", str(resp),
               "--out", str(tmp_path / "v.jsonl"))
    assert m["n"] == 541 and m["n_unanswered"] == 0 and m["checker_errors"] == 2
    for k, share in MEASURED_IFEVAL.items():
        assert m[k] == pytest.approx(100 * share, abs=1e-9), (k, m[k])
        assert abs(m[k] - PAPER_IFEVAL[k]) <= 0.2, (k, m[k], PAPER_IFEVAL[k])  # one prompt from the paper at most
    rows = [json.loads(line) for line in open(tmp_path / "v.jsonl")]
    assert len(rows) == 541 and {"key", "prompt", "correct", "reward", "details"} <= set(rows[0])
    assert {"strict", "loose", "instruction_ids"} <= set(rows[0]["details"])
    ours = {r["key"]: r["details"] for r in rows}
    responses = {r["prompt"]: r["response"] for r in map(json.loads, open(resp))}
    differ = set()
    for d in map(json.loads, open(data)):
        mine = ours[str(d["key"])]
        if d["key"] in RANDOM_IN_THE_PUBLISHED_CHECKER:
            assert "keywords:letter_frequency" in mine["errors"] and mine["strict"][
                d["instruction_id_list"].index("keywords:letter_frequency")] is False, mine
            continue
        kw = [{k: v for k, v in k_.items() if v is not None} for k_ in d["kwargs"]]
        sample = IFEvalSample(key=d["key"], prompt=d["prompt"], instruction_id_list=d["instruction_id_list"], kwargs=kw)
        res, _ = evaluate_output_for_sample("ifeval", sample, responses[d["prompt"]])
        if [r.strict_pass for r in res] != mine["strict"] or [r.loose_pass for r in res] != mine["loose"]:
            differ.add(d["key"])
    assert not differ, f"verdicts that differ from the published checker: {sorted(differ)}"
    assert {int(k) for k, v in ours.items() if v.get("errors")} == RANDOM_IN_THE_PUBLISHED_CHECKER


@pytest.mark.slow
def test_ifbench_sample_outputs_agree_prompt_by_prompt(external, capsys, tmp_path):
    """Our verdicts equal if-verifiable's IFBench scorer (measured to agree with IFBench's official verdicts)
    prompt by prompt. One published output line (269) is a TSV-mangled prompt that matches no data row: as
    IFBench's run_eval (evaluation_lib.py:190-194) it is ignored, not an error, and the input prompts without a
    response count as not followed (empty_output, evaluation_lib.py:43-51; accuracy over all inputs,
    run_eval.py:61-62)."""
    from if_verifiable import IFBenchSample, evaluate_output_for_sample

    data = external / "ifbench/IFBench_test.jsonl"
    resp = external / "ifbench/sample_output.jsonl"
    m = _score(capsys, "--suite", "ifbench", "--data", str(data), "--responses", str(resp),
               "--out", str(tmp_path / "v.jsonl"))
    n_inputs = sum(1 for line in open(data) if line.strip())
    assert m["n_filtered_responses"] == 1 and m["n"] == n_inputs == 300 and m["n_unanswered"] == 7
    ours = {r["key"]: r for r in map(json.loads, open(tmp_path / "v.jsonl"))}
    responses = {"".join(r["prompt"].split()): r["response"] for r in map(json.loads, open(resp))}
    n = strict = loose = 0
    for d in map(json.loads, open(data)):
        if str(d["key"]) not in ours:
            continue
        kw = [{k: v for k, v in k_.items() if v is not None} for k_ in d["kwargs"]]
        sample = IFBenchSample(key=d["key"], prompt=d["prompt"], instruction_id_list=d["instruction_id_list"], kwargs=kw)
        res, _ = evaluate_output_for_sample("ifbench", sample, responses["".join(d["prompt"].split())])
        assert [r.strict_pass for r in res] == ours[str(d["key"])]["details"]["strict"], d["key"]
        assert [r.loose_pass for r in res] == ours[str(d["key"])]["details"]["loose"], d["key"]
        n += 1
        strict += all(r.strict_pass for r in res)
        loose += all(r.loose_pass for r in res)
    assert n == 293
    assert m["prompt_strict"] == pytest.approx(100 * strict / n_inputs)
    assert m["prompt_loose"] == pytest.approx(100 * loose / n_inputs) and m["accuracy"] == pytest.approx(strict / n_inputs)
