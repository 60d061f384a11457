"""The paper's benchmarks from their published files (../shared/external/benchmarks/, see its README), scored
through ``mixmerge score``: gold responses score 100% and wrong ones 0%, written in the forms models produce
(``<think>…</think>``, ``\\boxed{}``, ``Answer:`` lines); bad input fails with one line naming file:line and the
field. Golds are read here from the raw files with ``json`` / ``csv``, not through the loaders under test."""

from __future__ import annotations

import csv
import json
import random
import re

import pytest

from harness.cli import main

BENCH = "benchmarks"


def _raw(path):
    if str(path).endswith(".csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


def _score(capsys, tmp_path, suite, data, responses, *extra):
    """Metrics (last stdout line), verdict rows and stderr of one successful ``mixmerge score`` run."""
    resp = _write(tmp_path / f"resp-{suite}.jsonl", responses)
    out = tmp_path / f"verdicts-{suite}.jsonl"
    code = main(["score", "--suite", suite, "--data", str(data), "--responses", resp, "--out", str(out), *extra])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    return json.loads(cap.out.strip().splitlines()[-1]), [json.loads(x) for x in open(out)], cap.err


def _fails(capsys, args, pattern):
    assert main(["score", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert re.search(pattern, err) and "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


# --------------------------------------------------------------------------- AIME


def _math_forms(value, i, decoy):
    """The shapes reasoning models' answers take; ``decoy`` appears in the thinking only."""
    return [
        f"<think>\nFirst try gives {decoy}... no, recheck.\n\\boxed{{{decoy}}}\n</think>\n\nSo the answer is "
        f"$\\boxed{{{value}}}$.",
        f"Working step by step.\n\nAnswer: {value}\n\nThis answer is consistent with the constraint {decoy}.",
        f"<think>ok</think>The final answer is \\boxed{{{value}}}",
    ][i % 3]


def _aime_responses(rows, gold_of, key, right=True):
    out = []
    for i, r in enumerate(rows):
        g = int(gold_of(r))
        value = g if right else (g + 1) % 1000
        out.append({**key(i, r), "response": _math_forms(value, i, (g + 7) % 1000 if right else g)})
    return out


@pytest.mark.parametrize("fname", ["aime24_aimo_style.jsonl", "aime24_HuggingFaceH4_schema.jsonl",
                                   "aime24_math-ai_qwen_format.jsonl"])
def test_aime24_published_files(external, capsys, tmp_path, fname):
    """``answer`` (zero-padded "025" equals 25 by math-verify) or, for math-ai/aime24, the ``\\boxed{}`` of
    ``solution`` (M2RL's download_aime.py: ``solution[7:-1]``)."""
    path = external / BENCH / "aime24" / fname
    rows = _raw(path)

    def gold(r):
        return r["answer"] if "answer" in r else r["solution"][7:-1]  # M2RL's rule, independently

    by_id = lambda i, r: {"id": r["id"]}  # noqa: E731
    m, verdicts, _ = _score(capsys, tmp_path, "aime24", path, _aime_responses(rows, gold, by_id))
    assert m["accuracy"] == 1.0 and m["n"] == len(rows) and m["n_unanswered"] == 0 and m["think_gate"] is False
    assert m["gold_from"] == (["solution \\boxed{}"] if "math-ai" in fname else ["answer"])
    m, verdicts, _ = _score(capsys, tmp_path, "aime24", path, _aime_responses(rows, gold, by_id, right=False))
    assert m["accuracy"] == 0.0 and not any(v["correct"] for v in verdicts)


def test_aime25_without_id_matched_by_prompt(external, capsys, tmp_path):
    noid = external / BENCH / "aime25" / "aime25_noid_zhuofeng.jsonl"
    rows = _raw(noid)
    assert all("id" not in r for r in rows)
    by_prompt = lambda i, r: {"prompt": r["problem"]}  # noqa: E731
    m, _, _ = _score(capsys, tmp_path, "aime25", noid, _aime_responses(rows, lambda r: r["answer"], by_prompt))
    assert m["accuracy"] == 1.0 and m["n"] == 30 and m["ids_from"] == ["position"]
    m, _, _ = _score(capsys, tmp_path, "aime25", noid,
                     _aime_responses(rows, lambda r: r["answer"], by_prompt, right=False))
    assert m["accuracy"] == 0.0
    # ids by position are math-ai/aime25's: responses keyed by that file's ids score the same
    ided = _raw(external / BENCH / "aime25" / "aime25_math-ai_schema.jsonl")
    m, _, _ = _score(capsys, tmp_path, "aime25", noid,
                     _aime_responses(ided, lambda r: r["answer"], lambda i, r: {"id": r["id"]}))
    assert m["accuracy"] == 1.0


def test_aime_think_gate(external, capsys, tmp_path):
    """The paper's scorer gives 0 without a closing </think>; the gate is off unless asked and results say so."""
    path = external / BENCH / "aime25" / "aime25_math-ai_schema.jsonl"
    rows = _raw(path)
    resp = [{"id": r["id"], "response": f"\\boxed{{{r['answer']}}}"} for r in rows]
    m, _, _ = _score(capsys, tmp_path, "aime25", path, resp)
    assert m["accuracy"] == 1.0 and m["think_gate"] is False
    m, verdicts, _ = _score(capsys, tmp_path, "aime25", path, resp, "--think-gate")
    assert m["accuracy"] == 0.0 and m["think_gate"] is True and m["n_think_gated"] == 30
    assert "think_gate" in verdicts[0]["details"]["reason"]
    resp = [{"id": r["id"], "response": f"<think>hm</think>\\boxed{{{r['answer']}}}"} for r in rows]
    assert _score(capsys, tmp_path, "aime25", path, resp, "--think-gate")[0]["accuracy"] == 1.0


# --------------------------------------------------------------------------- GPQA

GPQA = ("gpqa_diamond.csv", "gpqa_diamond_hf_export.jsonl")
LETTER_FORMS = ("Answer: $%s$", "Answer: %s", "**Answer:** %s", "<think>Answer: %s? no.</think>\nAnswer: %s",
                "Let me think step by step.\n\nAnswer: %s\n\nThis answer is consistent with the data.")


def _letter_response(letter, i, decoy="A"):
    form = LETTER_FORMS[i % len(LETTER_FORMS)]
    text = form % ((decoy, letter) if form.count("%s") == 2 else (letter,))
    return text if i % 7 else text.replace(f": {letter}", f": {letter.lower()}")  # lower case reads the same


def _our_letter(prompt, correct):
    """The letter whose option line in the prompt we send shows the correct answer text."""
    opts = re.findall(r"^([A-D])\) (.*?)(?=^[A-D]\) |\Z)", prompt, re.S | re.M)
    hits = [L for L, text in opts if text.strip() == correct.strip()]
    assert len(hits) == 1, (hits, correct)
    return hits[0]


def _gpqa_prompts(capsys, path):
    """Prompts as ``mixmerge eval`` would send them, by Record ID (through the suite, to know our order)."""
    from domains.registry import get_suite

    return {e["id"]: e["messages"][0]["content"] for e in get_suite("gpqa-diamond").load(str(path))}


@pytest.mark.parametrize("fname", GPQA)
def test_gpqa_published_files_in_our_order(external, capsys, tmp_path, fname):
    path = external / BENCH / "gpqa-diamond" / fname
    rows = _raw(path)
    assert len(rows) == 198
    prompts = _gpqa_prompts(capsys, path)
    assert prompts[rows[0]["Record ID"]].startswith("Answer the following multiple choice question. The last line")
    gold = {r["Record ID"]: _our_letter(prompts[r["Record ID"]], r["Correct Answer"]) for r in rows}
    assert len(set(gold.values())) == 4
    resp = [{"Record ID": rid, "response": _letter_response(L, i)} for i, (rid, L) in enumerate(gold.items())]
    m, _, err = _score(capsys, tmp_path, "gpqa-diamond", path, resp)
    assert m["accuracy"] == 1.0 and m["n"] == 198 and m["letters_order"] == {"ours (seed 0)": 198}
    assert err.count("carry no choice order") == 1  # warned once
    wrong = [{"Record ID": rid, "response": _letter_response("ABCD"[("ABCD".index(L) + 1) % 4], i, decoy=L)}
             for i, (rid, L) in enumerate(gold.items())]
    assert _score(capsys, tmp_path, "gpqa-diamond", path, wrong)[0]["accuracy"] == 0.0


def test_gpqa_csv_and_hf_export_load_the_same(external):
    from domains.registry import get_suite

    a, b = (get_suite("gpqa-diamond").load(str(external / BENCH / "gpqa-diamond" / f)) for f in GPQA)
    assert [(e["id"], e["messages"], e["label"]) for e in a] == [(e["id"], e["messages"], e["label"]) for e in b]


def test_gpqa_simple_evals_permutation(external, capsys, tmp_path):
    """Responses produced under simple-evals' order (gpqa_eval.py:28-33: ``rng = random.Random(0)``, the rows
    repeated 4 times, ``rng.sample(range(4), 4)`` per row, indices into [Correct, Inc1, Inc2, Inc3]; the correct
    letter is ``"ABCD"[choices.index(Correct)]``, :41-47) score 100% when they carry ``permutation``; the same
    letters without it are read against our order (and warned about)."""
    path = external / BENCH / "gpqa-diamond" / "gpqa_diamond.csv"
    rows = _raw(path)
    rng = random.Random(0)
    repeated = [r | {"permutation": rng.sample(range(4), 4)} for r in rows * 4]
    resp = [{"Record ID": r["Record ID"], "permutation": r["permutation"],
             "response": _letter_response("ABCD"[r["permutation"].index(0)], i)} for i, r in enumerate(repeated)]
    m, verdicts, err = _score(capsys, tmp_path, "gpqa-diamond", path, resp)
    assert m["accuracy"] == 1.0 and m["k"] == 4 and m["letters_order"] == {"response permutation": 792}
    assert "carry no choice order" not in err and verdicts[0]["details"]["order"] == "response permutation"
    bare = [{k: v for k, v in r.items() if k != "permutation"} for r in resp]
    m, _, err = _score(capsys, tmp_path, "gpqa-diamond", path, bare)
    assert m["accuracy"] < 0.5 and "carry no choice order" in err
    # the order given as the texts shown, or the chosen answer's own text
    shown = [{"Record ID": r["Record ID"], "response": _letter_response("ABCD"[r["permutation"].index(0)], i),
              "choices": [[r["Correct Answer"], r["Incorrect Answer 1"], r["Incorrect Answer 2"],
                           r["Incorrect Answer 3"]][j] for j in r["permutation"]]} for i, r in enumerate(repeated)]
    assert _score(capsys, tmp_path, "gpqa-diamond", path, shown)[0]["accuracy"] == 1.0
    texts = [{"Record ID": r["Record ID"], "response": "Answer: B", "answer_text": r[f]}
             for r in rows for f in ("Correct Answer", "Incorrect Answer 2")]
    assert _score(capsys, tmp_path, "gpqa-diamond", path, texts)[0]["accuracy"] == 0.5


def test_gpqa_bad_permutation_names_the_line(external, capsys, tmp_path):
    path = external / BENCH / "gpqa-diamond" / "gpqa_diamond.csv"
    rid = _raw(path)[0]["Record ID"]
    resp = _write(tmp_path / "r.jsonl", [{"Record ID": rid, "response": "Answer: A", "permutation": [0, 1, 2, 3]},
                                         {"Record ID": rid, "response": "Answer: A", "permutation": [0, 0, 1, 2]}])
    _fails(capsys, ["--suite", "gpqa-diamond", "--data", str(path), "--responses", resp,
                    "--out", str(tmp_path / "v.jsonl")],
           r"r\.jsonl:2: 'permutation' must list 0-3 once each.*\(1 verdict\(s\) scored before it are in ")
    assert len(open(tmp_path / "v.jsonl").readlines()) == 1  # what was scored before the error is kept


# --------------------------------------------------------------------------- MMLU-Redux 2.0


@pytest.mark.parametrize("fname", ["mmlu_redux2_abstract_algebra_export.jsonl", "mmlu_redux2_with_subject.jsonl"])
def test_mmlu_redux_ok_only_and_filtered_responses(external, capsys, tmp_path, fname):
    """Only ``error_type == ok`` is scored (lm-eval's mmlu_redux: the ok-only set); responses for the dropped
    questions are counted as filtered and scoring goes on."""
    path = external / BENCH / "mmlu-redux" / fname
    rows = _raw(path)
    ok = [i for i, r in enumerate(rows) if r["error_type"] == "ok"]
    subject = rows[0].get("subject", "q")
    resp = [{"id": f"{subject}-{i + 1}", "response": _letter_response("ABCD"[r["answer"]], i)}
            for i, r in enumerate(rows)]
    m, verdicts, err = _score(capsys, tmp_path, "mmlu-redux", path, resp)
    assert m["accuracy"] == 1.0 and m["n"] == len(ok) == m["n_kept"] == 4 and m["n_loaded"] == 10
    assert m["n_filtered_responses"] == 6 and "6 response(s) for examples not in the loaded set" in err
    assert "error_type == ok" in m["filter"]
    wrong = [{**r, "response": _letter_response("ABCD"[(rows[i]["answer"] + 2) % 4], i)} for i, r in enumerate(resp)]
    assert _score(capsys, tmp_path, "mmlu-redux", path, wrong)[0]["accuracy"] == 0.0


# --------------------------------------------------------------------------- HLE


def _hle_response(r, right=True):
    if r["answer_type"] == "multipleChoice":
        letter = r["answer"] if right else ("A" if r["answer"] != "A" else "C")
        return f"Explanation: weighed each option.\nAnswer: I think it is {letter}\nConfidence: 70%"
    gold = r["answer"]
    given = {"\\frac{1}{2}": "1/2", "Iron": "iron."}.get(gold, gold) if right else {
        "\\frac{1}{2}": "2/3", "Iron": "Copper"}.get(gold, str(int(gold) + 1) if gold.isdigit() else "none")
    return f"<think>so</think>Explanation: computed.\nExact Answer: {given}\nConfidence: 90%"


def test_hle_text_only_judge_free(external, capsys, tmp_path):
    path = external / BENCH / "hle" / "hle_test_schema_sample.jsonl"
    rows = _raw(path)
    text_only = [r for r in rows if not r["image"]]
    assert len(text_only) == 4 < len(rows)
    m, verdicts, _ = _score(capsys, tmp_path, "hle", path, [{"id": r["id"], "response": _hle_response(r)} for r in rows])
    assert m["accuracy"] == 1.0 and m["n"] == 4 and m["n_filtered_responses"] == 2  # the image rows' responses
    assert "judge-free lower bound" in m["grader"] and "o3-mini" in m["grader"]
    assert {v["details"].get("compared_by") for v in verdicts} == {"text", "math-verify", None}
    m, _, _ = _score(capsys, tmp_path, "hle", path, [{"id": r["id"], "response": _hle_response(r, False)}
                                                     for r in text_only])
    assert m["accuracy"] == 0.0


def test_hle_judge_endpoint(external, capsys, tmp_path):
    """An OpenAI-compatible judge on 127.0.0.1 (started here) grades the exact-match questions; it says 'yes'
    only when the response's Exact Answer line is literally the correct answer, so '1/2' for '\\frac{1}{2}'
    (a match without the judge) is judged wrong: the verdicts are the judge's."""
    import http.server
    import threading

    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["messages"][0]["content"]
            seen.append((self.path, body["model"]))
            gold = re.search(r"\[correct_answer\]: (.*)", prompt).group(1)
            said = re.search(r"Exact Answer: (.*)", prompt).group(1)
            reply = f"extracted_final_answer: {said}\nreasoning: compared.\ncorrect: {'yes' if said == gold else 'no'}"
            data = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        path = external / BENCH / "hle" / "hle_test_schema_sample.jsonl"
        rows = [r for r in _raw(path) if not r["image"]]
        resp = [{"id": r["id"], "response": _hle_response(r)} for r in rows]
        url = f"http://127.0.0.1:{server.server_address[1]}/v1"
        m, verdicts, _ = _score(capsys, tmp_path, "hle", path, resp, "--judge-url", url, "--judge-model", "tiny-judge")
        exact = [r for r in rows if r["answer_type"] != "multipleChoice"]
        assert len(seen) == len(exact) == 3 and seen[0] == ("/v1/chat/completions", "tiny-judge")
        assert m["accuracy"] == 0.5 and "LLM judge tiny-judge" in m["grader"]  # 5 and the letter; not 1/2, iron.
        assert {v["details"].get("compared_by") for v in verdicts} == {"judge", None}
    finally:
        server.shutdown()
        server.server_close()
    _fails(capsys, ["--suite", "hle", "--data", str(path), "--responses", str(tmp_path / "resp-hle.jsonl"),
                    "--judge-url", url], r"HLE judge http://127\.0\.0\.1:\d+/v1/chat/completions: no usable reply")


# --------------------------------------------------------------------------- IFEval / IFBench


@pytest.mark.slow
def test_ifeval_prompt_matching_as_ifbench_run_eval(external, capsys, tmp_path):
    """By prompt text, exact or stripped (IFBench evaluation_lib.py:177-194); a response whose prompt is not in
    the input is ignored; an input prompt without a response counts as not followed (empty_output)."""
    data = external / "ifeval" / "input_data.jsonl"
    published = _raw(external / "ifeval" / "input_response_data_gpt4_20231107_145030.jsonl")
    full, _, _ = _score(capsys, tmp_path, "ifeval", data, published)
    half = [{"prompt": r["prompt"] + "  \n", "response": r["response"]} for r in published[::2]]  # stripped match
    half.append({"prompt": "a prompt that is not in the input", "response": "hi"})
    m, verdicts, _ = _score(capsys, tmp_path, "ifeval", data, half)
    assert m["n"] == 541 and m["n_unanswered"] == 270 and m["n_filtered_responses"] == 1
    followed = sum(v["details"]["prompt_strict"] for v in verdicts)
    assert m["prompt_strict"] == pytest.approx(100 * followed / 541) and m["accuracy"] == pytest.approx(followed / 541)
    assert m["prompt_strict"] < full["prompt_strict"] and "prompt_strict" in m["headline"]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("suite,data,pattern", [
    ("gpqa-diamond", "aime24/aime24_aimo_style.jsonl", r"aime24_aimo_style\.jsonl:1: a GPQA row needs .*missing"),
    ("aime24", "gpqa-diamond/gpqa_diamond.csv", r"gpqa_diamond\.csv:2: a math row needs problem and answer"),
    ("mmlu-redux", "hle/hle_test_schema_sample.jsonl", r"hle_test_schema_sample\.jsonl:1: .*needs 'error_type'"),
    ("hle", "mmlu-redux/mmlu_redux2_abstract_algebra_export.jsonl", r"export\.jsonl:1: an HLE row needs .*'answer_type'"),
    ("ifbench", "aime25/aime25_noid_zhuofeng.jsonl", r"zhuofeng\.jsonl:1: an ifbench row needs key, prompt"),
    ("aime25", "mmlu-redux/mmlu_redux2_with_subject.jsonl", r"subject\.jsonl:1: field 'choices': .*multiple-choice"),
])
def test_a_file_of_another_benchmark(external, capsys, tmp_path, suite, data, pattern):
    resp = _write(tmp_path / "r.jsonl", [{"id": "0", "response": "Answer: A"}])
    _fails(capsys, ["--suite", suite, "--data", str(external / BENCH / data), "--responses", resp], pattern)


def test_a_row_missing_its_field_late_in_the_file(external, capsys, tmp_path):
    """Line 25 of AIME and record 150 of GPQA's CSV (a multi-line CSV: the line is the record's first line)."""
    rows = _raw(external / BENCH / "aime24" / "aime24_aimo_style.jsonl")
    rows[24] = {k: v for k, v in rows[24].items() if k != "answer"} | {"solution": "no boxed answer"}
    data = _write(tmp_path / "aime.jsonl", rows)
    resp = _write(tmp_path / "r.jsonl", [{"id": "60", "response": "\\boxed{204}"}])
    _fails(capsys, ["--suite", "aime24", "--data", data, "--responses", resp], r"aime\.jsonl:25: .*missing \['answer'\]")
    src = external / BENCH / "gpqa-diamond" / "gpqa_diamond.csv"
    with open(src, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        recs = list(reader)
    with open(tmp_path / "g.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, [f for f in reader.fieldnames if f != "Incorrect Answer 2"] + ["Incorrect Answer 2"])
        w.writeheader()
        for i, r in enumerate(recs):
            w.writerow(r if i != 149 else {**r, "Incorrect Answer 2": None})
    starts = []  # the first line of each record, counted by the csv module
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as fh:
        reader, line = csv.DictReader(fh), 2
        for _ in reader:
            starts.append(line)
            line = reader.line_num + 1
    _fails(capsys, ["--suite", "gpqa-diamond", "--data", str(tmp_path / "g.csv"), "--responses", resp],
           rf"g\.csv:{starts[149]}: a GPQA row needs .*\['Incorrect Answer 2'\]")


def test_a_bad_response_line_late_in_the_file(external, capsys, tmp_path):
    """Without --skip-bad the bad line is named before anything is scored; with it every other line is scored."""
    path = external / BENCH / "aime25" / "aime25_math-ai_schema.jsonl"
    rows = _raw(path)
    resp = [json.dumps({"id": r["id"], "response": f"\\boxed{{{r['answer']}}}"}) for r in rows]
    resp.insert(28, '{"id": "28", "response": ')
    data = _write(tmp_path / "r.jsonl", resp)
    _fails(capsys, ["--suite", "aime25", "--data", str(path), "--responses", data], r"r\.jsonl:29: malformed line")
    assert main(["score", "--suite", "aime25", "--data", str(path), "--responses", data, "--skip-bad"]) == 0
    m = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert m["accuracy"] == 1.0 and m["n"] == 30 and m["skipped_lines"] == 1
