"""General-knowledge suites: MMLU-Redux 2.0 (erroneous questions dropped), generic ``mcq``, micro-general.

MMLU-Redux 2.0 (edinburgh-dawg/mmlu-redux-2.0, one config per subject; or a file of its rows): only questions
whose ``error_type`` is ``ok`` are scored, as lm-eval's ``mmlu_redux`` task does (its dataset_path is
``fxmarty/mmlu-redux-2.0-ok``, the ok-only set: 5,330 of 5,700; lm_eval/tasks/mmlu-redux/generative/
_default_template_yaml:1). The prompt is simple-evals' multiple-choice template (openai/simple-evals
``common.py:15-24``) and the letter is read as ``domains.answers.answer_letter`` says.
"""

from __future__ import annotations

from typing import Any

from domains.base import Example, GenerationSettings, Suite
from domains.hub import hub_or_file_rows
from domains.loaders import Loaded, read_rows
from domains.mcq import format_mcq
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)
MMLU_REDUX_HUB = "edinburgh-dawg/mmlu-redux-2.0"
# openai/simple-evals common.py:15-24 (QUERY_TEMPLATE_MULTICHOICE), with the letters of the question's choices
MCQ_PROMPT = ("Answer the following multiple choice question. The last line of your response should be of the "
              "following format: 'Answer: $LETTER' (without quotes) where LETTER is one of {letters}. Think step by "
              "step before answering.\n\n{question}\n\n{options}")


def mcq_example(rid: str, domain: str, question: str, choices: list[str], answer: Any, where: str,
                source: str) -> Example:
    """An MCQ example; ``answer`` is a letter or a 0-based index."""
    if not isinstance(choices, list) or len(choices) < 2:
        raise UserError(f"{where}: 'choices' must be a list of at least 2 options")
    letters = "".join(chr(65 + i) for i in range(len(choices)))
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(choices):
        letter = letters[answer]
    elif isinstance(answer, str) and answer.strip().upper() in letters and len(answer.strip()) == 1:
        letter = answer.strip().upper()
    else:
        raise UserError(f"{where}: 'answer' must be a letter in {letters} or an index < {len(choices)}, got {answer!r}")
    options = format_mcq("", [str(c) for c in choices]).lstrip("\n")
    prompt = MCQ_PROMPT.format(letters=letters, question=question, options=options)
    return {"id": rid, "domain": domain, "messages": [{"role": "user", "content": prompt}],
            "label": {"answer": letter, "n_choices": len(choices)}, "meta": {"source": source, "raw_prompt": question}}


def _mcq_rows(rows: list[tuple[str, dict[str, Any]]], source: str, domain: str = "general") -> list[Example]:
    out = []
    for i, (w, r) in enumerate(rows, 1):
        missing = [f for f in ("question", "choices", "answer") if f not in r]
        if missing:
            raise UserError(f"{w}: missing field(s) {missing} (a {source} row has question, choices, answer; "
                            f"got {sorted(r)[:8]})")
        out.append(mcq_example(str(r.get("id", i)), domain, r["question"], r["choices"], r["answer"], w, source))
    return out


def redux_keep(row: dict[str, Any]) -> bool:
    """MMLU-Redux: keep questions its annotators marked ``ok`` (drop wrong/unclear/multiple/no answer, expert)."""
    return str(row.get("error_type", "ok")).strip().lower() == "ok"


def _redux_hub_rows() -> list[tuple[str, dict[str, Any]]]:
    from datasets import get_dataset_config_names

    try:
        subjects = get_dataset_config_names(MMLU_REDUX_HUB)
    except Exception as e:  # noqa: BLE001
        raise UserError(f"suite mmlu-redux: cannot list {MMLU_REDUX_HUB} subjects ({type(e).__name__}); download "
                        "it and pass --data FILE (rows with question, choices, answer, error_type, subject)") from None
    return [(w, {**r, "subject": s}) for s in subjects
            for w, r in hub_or_file_rows(None, MMLU_REDUX_HUB, config=s, split="test", suite="mmlu-redux")]


def load_mmlu_redux(path: str | None) -> Loaded:
    rows = read_rows(path) if path else _redux_hub_rows()
    for w, r in rows:
        if "error_type" not in r:
            raise UserError(f"{w}: an MMLU-Redux 2.0 row needs 'error_type' (got fields {sorted(r)[:8]}); is this "
                            "MMLU-Redux 2.0? for plain MCQ rows use --suite mcq")
    kept = []
    for i, (w, r) in enumerate(rows, 1):
        if redux_keep(r):
            kept.append((w, {**r, "id": r.get("id", f"{r.get('subject', 'q')}-{i}")}))
    return Loaded(_mcq_rows(kept, "mmlu-redux"), {
        "n_loaded": len(rows), "n_kept": len(kept),
        "filter": "error_type == ok (lm-eval's mmlu_redux uses the ok-only set, 5,330 of 5,700)"})


def suites() -> dict[str, Suite]:
    from domains.general.micro import micro
    from domains.micro_suites import micro_suite

    out = [
        Suite("mmlu-redux", "general", load_mmlu_redux, k=1, generation=GEN, hub_id=MMLU_REDUX_HUB,
              description="MMLU-Redux 2.0, the 5,330 of 5,700 questions annotated ok (as lm-eval)", version="2"),
        Suite("mcq", "general", lambda p: _mcq_rows(read_rows(p), "mcq") if p else _no_data("mcq"), k=1,
              generation=GEN, description="your own MCQ: JSONL {id, question, choices, answer (letter or index)}"),
        micro_suite("general", micro, 200, "generated world-fact and category MCQ, answer letter"),
    ]
    return {s.name: s for s in out}


def _no_data(name: str) -> list[Example]:
    raise UserError(f"suite {name} has no built-in data: pass --data FILE")
