"""Science suites: GPQA-Diamond, HLE (text-only; multiple choice + exact match), micro-science.

GPQA-Diamond (the official ``gpqa_diamond.csv`` of the authors' zip / simple-evals, the hub's ``Idavidrein/gpqa``
``gpqa_diamond`` rows, or their JSONL/parquet export): simple-evals' prompt (openai/simple-evals ``common.py:15-24``)
and letter pattern (``:26``, read by ``domains.answers.answer_letter``). Harnesses shuffle the four answers
differently (simple-evals: one ``random.Random(0)`` drawing ``rng.sample(range(4), 4)`` per row over 4 repeats,
``gpqa_eval.py:28-33``; lm-eval: ``random.shuffle`` of [Inc1, Inc2, Inc3, Correct]; NeMo-Skills the same with
seed 42; M2RL an unseeded gold position). Ours: per question, ``random.Random("mcq|gpqa|<seed>|<Record ID>")``
shuffles [Correct, Inc1, Inc2, Inc3] (``domains.mcq.shuffled``; seed ``GPQA_SEED``), the same on every run and
independent of row order. A response scored with ``mixmerge score`` may say which order its letter refers to
(``response_order``): ``permutation`` (simple-evals' field: indices into [Correct, Inc1, Inc2, Inc3]),
``choices`` (the four texts in the order shown) or ``answer_text`` (the chosen answer's text); without one its
letter is read against our order, the results say so and the scorer warns once.

HLE (``cais/hle`` test split, gated; or a file of its rows): text-only, rows with a non-empty ``image`` are
dropped. Multiple choice is scored by the letter among those the question's ``Answer Choices:`` offer; exact
match reads the response's ``Exact Answer:`` line (HLE's prediction prompt asks for ``Explanation:`` /
``Exact Answer:`` / ``Confidence:`` lines, centerforaisafety/hle ``hle_eval/run_model_predictions.py``; else the
last ``Answer:`` line or ``\\boxed{}``) and compares by math-verify where both sides are math, else normalised
text. HLE's official grader is an o3-mini judge (``hle_eval/run_judge_results.py``): without a judge this is a
judge-free lower bound (results say so); ``mixmerge score --judge-url`` asks an OpenAI-compatible judge.
"""

from __future__ import annotations

import re
from typing import Any

from domains.base import Example, GenerationSettings, Suite, Verdict
from domains.general.suites import mcq_example
from domains.hub import hub_or_file_rows
from domains.loaders import Loaded
from domains.mcq import shuffled
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)
GPQA_SEED = 0
GPQA_FIELDS = ("Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
HLE_JUDGE_FREE = ("judge-free lower bound: normalised exact match / math-verify (HLE's official grader is an "
                  "o3-mini judge over all questions)")
# HLE's prediction prompts (centerforaisafety/hle hle_eval/run_model_predictions.py: SYSTEM_EXACT_ANSWER, SYSTEM_MC)
HLE_EXACT = ("Your response should be in the following format:\nExplanation: {your explanation for your final "
             "answer}\nExact Answer: {your succinct, final answer}\nConfidence: {your confidence score between 0% "
             "and 100% for your answer}")
HLE_MC = ("Your response should be in the following format:\nExplanation: {your explanation for your answer "
          "choice}\nAnswer: {your chosen answer}\nConfidence: {your confidence score between 0% and 100% for your "
          "answer}")


def gpqa_examples(rows: list[tuple[str, dict[str, Any]]], seed: int = GPQA_SEED) -> Loaded:
    out = []
    for i, (w, r) in enumerate(rows, 1):
        missing = [f for f in GPQA_FIELDS if not (isinstance(r.get(f), str) and r[f].strip())]
        if missing:
            raise UserError(f"{w}: a GPQA row needs {', '.join(GPQA_FIELDS)}; missing or empty: {missing} "
                            f"(got fields {sorted(r)[:6]}{'…' if len(r) > 6 else ''})")
        original = [r[f] for f in GPQA_FIELDS[1:]]  # [Correct, Inc1, Inc2, Inc3], as simple-evals lists them
        rid = str(r.get("Record ID") or r.get("id") or i)
        choices, letter = shuffled(original, 0, f"gpqa|{seed}|{rid}")
        ex = mcq_example(rid, "science", r["Question"], choices, letter, w, "gpqa-diamond")
        ex["label"]["original"] = original
        ex["meta"]["shuffle_seed"] = seed
        out.append(ex)
    return Loaded(out, {"n_loaded": len(rows), "n_kept": len(out),
                        "gpqa_order": f"this project's seeded shuffle (seed {seed}) unless a response carries its own"})


def load_gpqa(path: str | None) -> Loaded:
    return gpqa_examples(hub_or_file_rows(path, "Idavidrein/gpqa", config="gpqa_diamond", split="train",
                                          suite="gpqa-diamond"))


def _same(a: str, b: str) -> bool:
    """Same answer text up to whitespace (case matters: GPQA has answers differing only in ``L`` vs ``l``)."""
    return " ".join(str(a).split()) == " ".join(str(b).split())


def gpqa_response_order(example: Example, row: dict[str, Any], where: str) -> tuple[Example, str, Verdict | None]:
    """The example to score one response against, the order its letter refers to, and (for ``answer_text``)
    the verdict itself. A malformed order is an error naming the response line."""
    original = example["label"]["original"]
    if "permutation" in row:
        perm = row["permutation"]
        if not (isinstance(perm, list) and sorted(perm) == [0, 1, 2, 3]):
            raise UserError(f"{where}: 'permutation' must list 0-3 once each (indices into [Correct Answer, "
                            f"Incorrect Answer 1-3], as simple-evals' gpqa_eval.py:33 draws it), got {perm!r}")
        letter = "ABCD"[perm.index(0)]
        return {**example, "label": {**example["label"], "answer": letter}}, "response permutation", None
    if "choices" in row:
        shown = row["choices"]
        ok = isinstance(shown, list) and len(shown) == 4 and all(isinstance(c, str) for c in shown)
        idx: list[int | None] = []
        for c in shown if ok else []:  # each shown text to an unused original one (answers may repeat a text)
            idx.append(next((j for j, o in enumerate(original) if j not in idx and _same(c, o)), None))
        if not ok or sorted(i for i in idx if i is not None) != [0, 1, 2, 3]:
            raise UserError(f"{where}: 'choices' must be the question's four answer texts in the order shown")
        letter = "ABCD"[idx.index(0)]
        return {**example, "label": {**example["label"], "answer": letter}}, "response choices", None
    if "answer_text" in row:
        chosen = row["answer_text"]
        ok = isinstance(chosen, str) and _same(chosen, original[0])
        return example, "response answer_text", Verdict(float(ok), ok, {"extracted": chosen, "by": "answer_text"})
    return example, f"ours (seed {example['meta'].get('shuffle_seed', GPQA_SEED)})", None


_CHOICE_LINE = re.compile(r"^\s*\(?([A-Z])[.):]\s", re.MULTILINE)


def hle_offered(question: str) -> str | None:
    """The letters an HLE question offers: the ``A.`` / ``B)`` lines after ``Answer Choices:``."""
    part = question.split("Answer Choices:", 1)[1] if "Answer Choices:" in question else question
    found = "".join(dict.fromkeys(m.group(1) for m in _CHOICE_LINE.finditer(part)))
    return found or None


def hle_examples(rows: list[tuple[str, dict[str, Any]]]) -> Loaded:
    """Text-only HLE: rows with an image are dropped. ``multipleChoice`` -> letter among the offered ones; else
    exact match (see the module docstring)."""
    out = []
    for w, r in rows:
        missing = [f for f in ("question", "answer", "answer_type") if f not in r]
        if missing:
            raise UserError(f"{w}: an HLE row needs id, question, answer, answer_type, image; missing {missing} "
                            f"(got fields {sorted(r)[:6]})")
        if r.get("image"):
            continue
        question, answer = str(r["question"]), str(r["answer"]).strip()
        if r["answer_type"] == "multipleChoice":
            offered = hle_offered(question)
            if not re.fullmatch(r"[A-Z]", answer) or (offered and answer not in offered):
                raise UserError(f"{w}: field 'answer': a multipleChoice answer must be one of the offered letters "
                                f"{offered or 'A-Z'}, got {answer!r}")
            label: Any = {"answer": answer, "n_choices": 26, "offered": offered}
            system = HLE_MC
        else:
            label, system = {"exact": answer}, HLE_EXACT
        out.append({"id": str(r.get("id", w)), "domain": "science",
                    "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}],
                    "label": label, "meta": {"source": "hle", "raw_prompt": question,
                                             "answer_type": r["answer_type"], "category": r.get("category")}})
    return Loaded(out, {"n_loaded": len(rows), "n_kept": len(out), "filter": "text-only (rows with an image dropped)",
                        "grader": HLE_JUDGE_FREE})


def load_hle(path: str | None) -> Loaded:
    return hle_examples(hub_or_file_rows(path, "cais/hle", split="test", suite="hle"))


def suites() -> dict[str, Suite]:
    from domains.micro_suites import micro_suite
    from domains.science.micro import micro

    out = [
        Suite("gpqa-diamond", "science", load_gpqa, k=4, generation=GEN, id_field="Record ID", hub_id="Idavidrein/gpqa",
              description="GPQA-Diamond, 198 questions, simple-evals prompt/pattern, our seeded order, Avg@4",
              version="2", response_order=gpqa_response_order),
        Suite("hle", "science", load_hle, k=1, generation=GEN, hub_id="cais/hle", version="2",
              description="Humanity's Last Exam, text-only: MCQ letter + exact match (judge-free lower bound)"),
        micro_suite("science", micro, 200, "generated physics questions: a law applied to two quantities, value + unit"),
    ]
    return {s.name: s for s in out}
