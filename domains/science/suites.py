"""Science suites: GPQA-Diamond (choices shuffled with a seed), HLE (text-only; MCQ + exact match), micro."""

from __future__ import annotations

import re
from typing import Any

from domains.base import Example, GenerationSettings, Suite
from domains.general.suites import mcq_example
from domains.hub import load_hub_rows
from domains.loaders import read_jsonl
from domains.mcq import shuffled
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)
GPQA_SEED = 0
HLE_PROMPT = ("{question}\n\nYour response should end with a line of the form 'Answer: ...' giving only your final "
              "answer{hint}.")


def gpqa_examples(rows: list[dict[str, Any]], where: str, seed: int = GPQA_SEED) -> list[Example]:
    out = []
    for i, r in enumerate(rows, 1):
        w = f"{where}:{i}"
        try:
            right = r["Correct Answer"].strip()
            wrong = [r[f"Incorrect Answer {j}"].strip() for j in (1, 2, 3)]
            rid = str(r.get("Record ID", r.get("id", i)))
            question = r["Question"].strip()
        except (KeyError, AttributeError) as e:
            raise UserError(f"{w}: a GPQA row needs Question, Correct Answer, Incorrect Answer 1-3 ({e})") from None
        choices, letter = shuffled([right, *wrong], 0, f"gpqa|{seed}|{rid}")
        ex = mcq_example(rid, "science", question, choices, letter, w, "gpqa-diamond")
        ex["meta"]["shuffle_seed"] = seed
        out.append(ex)
    return out


def load_gpqa(path: str | None) -> list[Example]:
    rows = read_jsonl(path) if path else load_hub_rows("Idavidrein/gpqa", config="gpqa_diamond", split="train",
                                                       suite="gpqa-diamond")
    return gpqa_examples(rows, path or "Idavidrein/gpqa")


def hle_examples(rows: list[dict[str, Any]], where: str) -> list[Example]:
    """Text-only HLE: rows with an image are dropped. ``multipleChoice`` -> letter; else normalised exact match
    (the official judge is an LLM; exact match is a lower bound and is named so in results)."""
    out = []
    for i, r in enumerate(rows, 1):
        if r.get("image"):
            continue
        w = f"{where}:{i}"
        if "question" not in r or "answer" not in r:
            raise UserError(f"{w}: an HLE row needs question and answer")
        mcq = r.get("answer_type") == "multipleChoice"
        letter = str(r["answer"]).strip()
        if mcq and not re.fullmatch(r"[A-Z]", letter):
            raise UserError(f"{w}: multipleChoice answer must be a letter, got {letter!r}")
        label: Any = {"answer": letter, "n_choices": 26} if mcq else {"exact": str(r["answer"])}
        hint = " (the letter of the correct choice)" if mcq else ""
        out.append({"id": str(r.get("id", i)), "domain": "science",
                    "messages": [{"role": "user", "content": HLE_PROMPT.format(question=r["question"], hint=hint)}],
                    "label": label, "meta": {"source": "hle", "raw_prompt": r["question"], "answer_type": r.get("answer_type"),
                                             "category": r.get("category")}})
    return out


def load_hle(path: str | None) -> list[Example]:
    rows = read_jsonl(path) if path else load_hub_rows("cais/hle", split="test", suite="hle")
    return hle_examples(rows, path or "cais/hle")


def suites() -> dict[str, Suite]:
    from domains.micro_suites import micro_suite
    from domains.science.micro import micro

    out = [
        Suite("gpqa-diamond", "science", load_gpqa, k=4, generation=GEN, id_field="Record ID", hub_id="Idavidrein/gpqa",
              description="GPQA-Diamond, 198 questions, choices shuffled with seed 0, Avg@4"),
        Suite("hle", "science", load_hle, k=1, generation=GEN, hub_id="cais/hle",
              description="Humanity's Last Exam, text-only (2,158 of 2,500): MCQ letter + exact match (no LLM judge)"),
        micro_suite("science", micro, 200, "generated physics questions: a law applied to two quantities, value + unit"),
    ]
    return {s.name: s for s in out}
