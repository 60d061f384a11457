import random
import string

import pytest

from domains.answers import after_thinking, answer_letter, final_answer, last_boxed
from domains.math.verify import equivalent, verify_math


@pytest.mark.parametrize("text,want", [
    ("so \\boxed{12}.", "12"),
    ("\\boxed{1} then \\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
    ("\\boxed{a{b}c}", "a{b}c"),
    ("\\boxed{3", None),
    ("\\fbox{7}", "7"),
    ("", None),
])
def test_last_boxed(text, want):
    assert last_boxed(text) == want


def test_final_answer_forms():
    assert final_answer("work\nAnswer: 42") == "42"
    assert final_answer("The final answer is 7.") == "7"
    assert final_answer("<think>\\boxed{1}</think>\\boxed{2}") == "2"
    assert final_answer("<think>\\boxed{1}</think>nothing") is None
    assert final_answer(None) is None
    assert after_thinking("a</think>b</think>c") == "c"


@pytest.mark.parametrize("gold,pred,ok", [
    ("1000", "1,000", True), ("1,000", "1000", True), ("1/2", "\\frac{1}{2}", True), ("0.5", "\\frac12", True),
    ("\\{1,2\\}", "\\{2,1\\}", True), ("(0,1]", "(0,1]", True), ("(0,1]", "[0,1]", False),
    ("\\sqrt{2}/2", "\\frac{\\sqrt{2}}{2}", True), ("33", "34", False), ("x=3", "3", True), ("12", "12.0", True),
])
def test_math_equivalence(gold, pred, ok):
    assert equivalent(gold, pred) is ok


@pytest.mark.parametrize("text,want", [
    ("Answer: C", "C"), ("answer is (b)", None), ("The answer is (B).", "B"), ("Answer: **D**", "D"),
    ("\\boxed{A}", "A"), ("\\boxed{\\text{B}}", "B"), ("C", "C"), ("(d)", "D"), ("Answer: E", None),
    ("Answer: A\nwait, Answer: B", "B"), ("I think it is a cat", None), ("<think>Answer: A</think>Answer: C", "C"),
])
def test_answer_letter(text, want):
    assert answer_letter(text, n_choices=4) == want


def test_verifiers_total_on_random_strings():
    rng = random.Random(0)
    alphabet = string.printable + "\\{}$^_" * 5
    for _ in range(200):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        v = verify_math({"label": "3"}, s + " \\boxed{" + s[:20] + "}")
        assert v.reward in (0.0, 1.0)
        answer_letter(s)


def test_math_verify_is_time_limited_in_threads():
    """9^(9^(9^9)) makes sympy compute for ever inside C code: the worker is killed and the answer is wrong."""
    import threading
    import time

    out = {}

    def run():
        t = time.monotonic()
        out["ok"] = equivalent("3", "9^{9^{9^{9}}}", timeout_s=2)
        out["s"] = time.monotonic() - t

    th = threading.Thread(target=run)
    th.start()
    th.join(60)
    assert not th.is_alive() and out["ok"] is False and out["s"] < 30
    assert equivalent("1/2", "0.5")  # the worker restarts after the kill


@pytest.mark.parametrize("text,want", [
    ("Answer: 204\n\nThis answer is consistent with the constraints.", "204"),  # a later 'answer' word is no answer
    ("The answer is 7.\nThis answer is checked below.", "7"),  # sentence form only without an Answer: line
    ("**Answer:** 12", "12"), ("**Answer**: 12", "12"),
    ("Explanation: because.\nExact Answer: 1/2\nConfidence: 80%", "1/2"),  # HLE's lines
    ("I have no answer yet", None),
])
def test_answer_line_is_not_overridden(text, want):
    assert final_answer(text) == want


@pytest.mark.parametrize("text,offered,want", [
    ("Answer: $B$", "ABCD", "B"), ("Answer: b", "ABCD", "B"), ("answer: $c$", "ABCD", "C"),  # simple-evals :26
    ("Answer: I think it is B", "ABCDE", "B"), ("Answer: I think it is B", "ABCDEFGHIJ", "I"),
    ("Answer: Because A fails", "ABCD", "A"), ("Answer: B\n\nThis answer is final: D is wrong", "ABCD", "B"),
    ("Answer: \\boxed{C}", "ABCD", "C"), ("Answer: F", "ABCDE", None),
])
def test_answer_letter_offered(text, offered, want):
    assert answer_letter(text, offered=offered) == want


# Survivors of `nox -s mutants -- domains/answers.py` (each test below kills at least one; the rest are equivalent:
# rsplit's maxsplit and index when only the last part is read, a placeholder for None text that holds no answer).
def test_no_completion_leaves_no_text_after_thinking():
    from domains.answers import after_thinking

    assert after_thinking(None) == "" and after_thinking("a</think>b</think>c") == "c"


@pytest.mark.parametrize("line, value", [("Answer: X", "X"), ("Answer: XX.", "XX"), ("Answer: **12**", "12")])
def test_answer_values_lose_only_emphasis_and_the_final_period(line, value):
    from domains.answers import answer_line

    assert answer_line(line) == value


def test_the_later_of_an_answer_line_and_a_boxed_letter_wins_by_position():
    from domains.answers import answer_letter

    assert answer_letter("\\boxed{A}\nAnswer: B", offered="ABCD") == "B"
    assert answer_letter("Answer: B\n\\boxed{A}", offered="ABCD") == "A"
    assert answer_letter("\n" * 20 + "\\boxed{A}\nAnswer: B", offered="ABCD") == "B"  # offsets count the newlines
    assert answer_letter("intro line here\n\\boxed{A} x\nAnswer: B", offered="ABCD") == "B"  # offsets accumulate
    assert answer_letter("Answer: B\n\\boxed{E}", n_choices=4) == "B"  # a boxed letter not offered is no answer


def test_answer_letter_edges():
    from domains.answers import MAX_ANSWER_CHARS, answer_letter, final_answer

    assert answer_letter("Answer: A", n_choices=0) is None
    assert answer_letter("Answer: B's the one", offered="ABCD") == "B"  # a leading capital letter commits
    assert final_answer("Answer: " + "1" * MAX_ANSWER_CHARS) == "1" * MAX_ANSWER_CHARS
    assert final_answer("Answer: " + "1" * (MAX_ANSWER_CHARS + 1)) is None
