import json

import pytest

from domains.micro_common import split_of
from domains.registry import DOMAINS, get_domain

SIZES = {"n_rl": 60, "n_sft": 60, "n_eval": 40}


def _prompt(ex):
    return ex["messages"][0]["content"]


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_deterministic_sizes_and_ids(name):
    a = get_domain(name).micro(3, **SIZES)
    b = get_domain(name).micro(3, **SIZES)
    assert a == b
    assert (len(a.rl), len(a.sft), len(a.eval)) == (60, 60, 40)
    ids = [ex["id"] for ex in a.rl + a.sft + a.eval]
    assert len(set(ids)) == len(ids)
    for ex in a.rl + a.sft + a.eval:
        assert ex["domain"] == name and ex["messages"][0]["role"] == "user" and ex["label"] is not None
    assert all(ex["meta"]["response"] for ex in a.sft)
    assert not any("response" in ex["meta"] for ex in a.rl + a.eval)
    assert a != get_domain(name).micro(4, **SIZES)


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_splits_disjoint_by_content_across_seeds(name):
    s0, s1 = get_domain(name).micro(0, **SIZES), get_domain(name).micro(1, **SIZES)
    if name == "general":  # split by the fact asked about: compare the question line
        key = lambda ex: _prompt(ex).split("\n")[0] if "capital" in _prompt(ex) or "flag" in _prompt(ex) else None  # noqa: E731
    else:
        key = _prompt
    train = {key(ex) for s in (s0, s1) for ex in s.rl + s.sft} - {None}
    evals = {key(ex) for s in (s0, s1) for ex in s.eval} - {None}
    assert train and evals and not (train & evals)


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_eval_split_independent_of_train_sizes(name):
    small = get_domain(name).micro(0, 0, 0, 20).eval
    big = get_domain(name).micro(0, 50, 50, 30).eval
    assert big[:20] == small


@pytest.mark.parametrize("name", ["math", "science", "general", "if"])
def test_references_are_correct_and_mixed(name):
    dom = get_domain(name)
    sft = dom.micro(0, 0, 150, 0, **({} if name == "general" else {"teacher_error": 0.0})).sft
    for ex in sft:
        v = dom.verify(ex, ex["meta"]["response"])
        assert v.correct, (ex, v)
    worked = sum(ex["meta"]["worked"] for ex in sft) / len(sft)
    assert worked == 1.0 if name == "math" else 0.2 < worked < 0.6  # math: every reference works it out


def test_code_references_pass_their_tests():
    # our own generated reference programs (trusted); model code only ever runs in the sandbox
    for ex in get_domain("code").micro(0, 0, 150, 0, teacher_error=0.0).sft:
        src = ex["meta"]["response"].split("```python\n")[1].split("```")[0]
        ns: dict = {}
        exec(src, ns)  # noqa: S102
        for t in ex["label"]["tests"]:
            assert ns["f"](json.loads(t["input"])) == json.loads(t["output"]), (src, t)


@pytest.mark.parametrize("name", ["math", "science", "general"])
def test_wrong_answers_fail(name):
    dom = get_domain(name)
    for ex in dom.micro(0, 0, 0, 30).eval:
        label = ex["label"]
        if name == "math":
            wrong = f"\\boxed{{{int(label) + 1}}}"
        elif name == "science":  # the right number with another unit, and another number with the right unit
            value, unit = label["exact"].split(" ", 1)
            assert dom.verify(ex, f"Answer: {value} {unit}").correct
            assert not dom.verify(ex, f"Answer: {int(value) + 1} {unit}").correct
            wrong = f"Answer: {value} {'J' if unit != 'J' else 'N'}"
        else:
            wrong = f"Answer: {'B' if label['answer'] == 'A' else 'A'}"
        assert not dom.verify(ex, wrong).correct


def test_code_sft_may_show_fewer_clauses_than_rl_and_eval_ask_for():
    s = get_domain("code").micro(0, 300, 300, 100, sft_max_maps=1)
    assert max(ex["meta"]["n_maps"] for ex in s.sft) <= 1
    assert max(ex["meta"]["n_maps"] for ex in s.rl) == 2 and max(ex["meta"]["n_maps"] for ex in s.eval) == 2
    wide = get_domain("code").micro(0, 0, 300, 0).sft  # default: SFT covers every composition
    assert max(ex["meta"]["n_maps"] for ex in wide) == 2


def test_if_violations_fail():
    dom = get_domain("if")
    for ex in dom.micro(0, 0, 60, 0, teacher_error=0.0).sft:
        ids = ex["label"]["instruction_id_list"]
        resp = ex["meta"]["response"].split("</think>\n")[-1]
        if "change_case:english_lowercase" in ids:
            assert not dom.verify(ex, resp.upper()).correct
        if "punctuation:no_comma" in ids:
            assert not dom.verify(ex, resp.replace(" ", ", ", 1)).correct


def test_knobs():
    m = get_domain("math").micro(0, 0, 40, 0, kinds=("linear",), worked_fraction=1.0)
    assert all(ex["meta"]["kind"] == "linear" and "\n" in ex["meta"]["response"] for ex in m.sft)
    m = get_domain("math").micro(0, 0, 60, 0, teacher_error=0.0)  # default: running sums, every one worked
    for ex in m.sft:
        lines = ex["meta"]["response"].splitlines()
        xs = ex["messages"][0]["content"].removeprefix("Add up ").rstrip(".").split(", ")
        assert ex["meta"]["kind"] == "addup" and len(lines) == len(xs) + 1 and 4 <= len(xs) <= 6
        assert [ln.split(" -> ")[0] for ln in lines[:-1]] == xs and lines[-1] == f"\\boxed{{{ex['label']}}}"
        assert int(lines[-2].split(" -> ")[1]) == sum(map(int, xs)) == int(ex["label"]) <= 9
    m = get_domain("math").micro(0, 0, 60, 0, kinds=("counteven",), teacher_error=0.0)
    assert all(ex["meta"]["response"].splitlines()[0].split(": ")[1].split(" ->")[0] in ("yes", "no") for ex in m.sft)
    m = get_domain("math").micro(0, 0, 60, 0, kinds=("lastsum",), worked_fraction=1.0, teacher_error=0.0)
    assert all(3 <= len(ex["meta"]["response"].splitlines()) <= 5 for ex in m.sft)
    from harness.errors import UserError

    with pytest.raises(UserError, match="did you mean 'lastsum'"):
        get_domain("math").micro(0, 1, 1, 1, kinds=("lastsun",))
    with pytest.raises(UserError, match="too small"):
        get_domain("science").micro(0, 50, 0, 0, max_a=2, factors=(10,))


def test_split_of_is_seed_free_and_balanced():
    splits = [split_of("math", ("k", i)) for i in range(4000)]
    share = {s: splits.count(s) / len(splits) for s in ("eval", "sft", "rl")}
    assert abs(share["eval"] - 0.15) < 0.03 and abs(share["rl"] - 0.45) < 0.04


@pytest.mark.parametrize("name", ["math", "science", "code", "if"])
def test_imperfect_teacher(name, tmp_path):
    """A share of SFT references carries the domain's typical mistake; RL/eval problems do not depend on it."""
    dom = get_domain(name)
    noisy, clean = dom.micro(2, 80, 300, 40), dom.micro(2, 80, 300, 40, teacher_error=0.0)
    assert (noisy.rl, noisy.eval) == (clean.rl, clean.eval)
    assert [ex["messages"] for ex in noisy.sft] == [ex["messages"] for ex in clean.sft]
    assert not any("mistake" in ex["meta"] or "teacher_error" in ex["meta"] for ex in noisy.rl + noisy.eval)
    wrong = [ex for ex in noisy.sft if ex["meta"].get("teacher_error")]
    has = [ex for ex in noisy.sft if "teacher_error" in ex["meta"]]
    assert 0.3 < len(wrong) / len(has) < 0.5 and len(has) > 120  # math: only where the last item counts
    assert all("mistake" not in ex["meta"] for ex in noisy.sft)
    by_id = {ex["id"]: ex for ex in clean.sft}
    assert all(ex["meta"]["response"] != by_id[ex["id"]]["meta"]["response"] for ex in wrong)
    assert all(ex["meta"] == {**by_id[ex["id"]]["meta"], "teacher_error": False}
               for ex in has if ex not in wrong)
    if name != "code":  # code's mistakes run in the sandbox: tests/domains/test_code_verify.py
        assert not any(dom.verify(ex, ex["meta"]["response"]).correct for ex in wrong)
    from harness.errors import UserError

    with pytest.raises(UserError, match="teacher_error"):
        dom.micro(0, 1, 1, 1, teacher_error=1.5)
