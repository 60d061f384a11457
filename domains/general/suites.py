"""General-knowledge suites: MMLU-Redux 2.0 (erroneous questions dropped), generic ``mcq``, micro-general."""

from __future__ import annotations

from typing import Any

from domains.base import Example, GenerationSettings, Suite
from domains.hub import load_hub_rows
from domains.loaders import read_jsonl
from domains.mcq import format_mcq
from harness.errors import UserError

GEN = GenerationSettings(temperature=1.0, top_p=0.7, max_new_tokens=32768)
MMLU_REDUX_HUB = "edinburgh-dawg/mmlu-redux-2.0"
MCQ_PROMPT = ("Answer the following multiple choice question. The last line of your response should be of the "
              "following format: 'Answer: $LETTER' (without quotes) where LETTER is one of {letters}. Think step by "
              "step before answering.\n\n{body}")


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
    prompt = MCQ_PROMPT.format(letters=letters, body=format_mcq(question, [str(c) for c in choices]))
    return {"id": rid, "domain": domain, "messages": [{"role": "user", "content": prompt}],
            "label": {"answer": letter, "n_choices": len(choices)}, "meta": {"source": source, "raw_prompt": question}}


def _mcq_rows(rows: list[dict[str, Any]], where: str, source: str, domain: str = "general") -> list[Example]:
    out = []
    for i, r in enumerate(rows, 1):
        w = f"{where}:{i}"
        missing = [f for f in ("question", "choices", "answer") if f not in r]
        if missing:
            raise UserError(f"{w}: missing field(s) {missing}")
        out.append(mcq_example(str(r.get("id", i)), domain, r["question"], r["choices"], r["answer"], w, source))
    return out


def redux_keep(row: dict[str, Any]) -> bool:
    """MMLU-Redux: keep questions its annotators marked ``ok`` (drop wrong/unclear/multiple answers, ...)."""
    return str(row.get("error_type", "ok")).strip().lower() == "ok"


def load_mmlu_redux(path: str | None) -> list[Example]:
    if path:
        rows = read_jsonl(path)
        where = path
    else:
        from datasets import get_dataset_config_names

        try:
            subjects = get_dataset_config_names(MMLU_REDUX_HUB)
        except Exception as e:  # noqa: BLE001
            raise UserError(f"suite mmlu-redux: cannot list {MMLU_REDUX_HUB} subjects ({type(e).__name__}); download "
                            "it and pass --data FILE (JSONL with question, choices, answer, error_type, subject)") from None
        rows = [{**r, "subject": s} for s in subjects for r in load_hub_rows(MMLU_REDUX_HUB, config=s, suite="mmlu-redux")]
        where = MMLU_REDUX_HUB
    kept = []
    for i, r in enumerate(rows, 1):
        if redux_keep(r):
            kept.append({**r, "id": r.get("id", f"{r.get('subject', 'q')}-{i}")})
    return _mcq_rows(kept, where, "mmlu-redux")


def suites() -> dict[str, Suite]:
    from domains.general.micro import micro
    from domains.micro_suites import micro_suite

    out = [
        Suite("mmlu-redux", "general", load_mmlu_redux, k=1, generation=GEN, hub_id=MMLU_REDUX_HUB,
              description="MMLU-Redux 2.0, 5,700 questions minus those annotated as erroneous"),
        Suite("mcq", "general", lambda p: _mcq_rows(read_jsonl(p), p, "mcq") if p else _no_data("mcq"), k=1,
              generation=GEN, description="your own MCQ: JSONL {id, question, choices, answer (letter or index)}"),
        micro_suite("general", micro, 200, "generated world-fact and category MCQ, answer letter"),
    ]
    return {s.name: s for s in out}


def _no_data(name: str) -> list[Example]:
    raise UserError(f"suite {name} has no built-in data: pass --data FILE")
