"""Scoring responses against a suite: match responses to examples, verify each, aggregate metrics.

Used by ``mixmerge score`` (responses produced anywhere) and by the eval harness (its own samples):
``score_samples(suite, examples, responses_by_id, sandbox) -> (rows, metrics)``.

Metrics: IF suites (metric "ifeval") report ``prompt_strict, inst_strict, prompt_loose, inst_loose`` in
percent over every response (IFEval's official definition); other suites report ``accuracy`` (= Avg@K) with a
bootstrap CI over problems, plus ``avg@k`` / ``pass@k`` when K > 1 (``harness.eval.metrics.summarize``).
Examples without a response are not scored and are counted in ``n_unanswered``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from domains.base import Example, Suite
from domains.loaders import iter_jsonl_lines
from domains.registry import get_domain
from harness.errors import UserError
from harness.eval.metrics import summarize

log = logging.getLogger(__name__)
ID_FIELDS = ("id", "key", "task_id", "question_id")


def prompt_text(example: Example) -> str:
    label = example.get("label")
    if isinstance(label, dict) and isinstance(label.get("prompt"), str) and example["domain"] == "if":
        return label["prompt"]
    users = [m["content"] for m in example.get("messages", []) if m.get("role") == "user"]
    return users[-1] if users else ""


def _norm(text: str) -> str:
    return "".join(str(text).split())


def read_responses(path: str, *, skip_bad: bool = False, bad: list[str] | None = None) -> list[tuple[str, dict]]:
    """``(file:line, row)`` for each response line; a row needs ``response`` (str) or ``responses`` (list)."""
    out: list[tuple[str, dict]] = []
    for line_no, row in iter_jsonl_lines(path, skip_bad=skip_bad, bad=bad):
        where = f"{path}:{line_no}"
        resp = row.get("responses", row.get("response"))
        ok = isinstance(resp, str) or (isinstance(resp, list) and resp and all(isinstance(r, str) for r in resp))
        if not ok:
            if skip_bad:
                if bad is not None:
                    bad.append(where)
                continue
            raise UserError(f"{where}: needs 'response' (a string) or 'responses' (a non-empty list of strings)")
        out.append((where, row))
    return out


def match_responses(suite: Suite, examples: list[Example], rows: Iterable[tuple[str, dict]], *,
                    skip_bad: bool = False, bad: list[str] | None = None) -> dict[str, list[str]]:
    """Responses per example id, matched by the data's id field or, without one, by prompt text
    (whitespace-insensitive). A response matching no example is an error naming file:line."""
    by_id = {str(ex["id"]): ex for ex in examples}
    by_prompt: dict[str, str] = {}
    for ex in examples:  # the prompt as we send it, or the benchmark's own prompt text
        for text in (prompt_text(ex), (ex.get("meta") or {}).get("raw_prompt")):
            if text:
                by_prompt.setdefault(_norm(text), str(ex["id"]))
    fields = (suite.id_field, *[f for f in ID_FIELDS if f != suite.id_field])
    out: dict[str, list[str]] = {}
    for where, row in rows:
        field = next((f for f in fields if f in row), None)
        if field is not None:
            ex_id = str(row[field])
            if ex_id not in by_id:
                ex_id = None
                problem = f"no example with {field} {row[field]!r} in the data"
        else:
            ex_id = by_prompt.get(_norm(row.get("prompt", ""))) if "prompt" in row else None
            problem = "no id field (" + "/".join(fields) + ") and no example with the same prompt text"
        if ex_id is None:
            if skip_bad:
                if bad is not None:
                    bad.append(where)
                continue
            raise UserError(f"{where}: {problem}")
        resp = row.get("responses", row.get("response"))
        out.setdefault(ex_id, []).extend(resp if isinstance(resp, list) else [resp])
    return out


def _batched_verdicts(suite: Suite, examples: list[Example], responses_by_id: dict[str, list[str]], sandbox: Any):
    """Code suites run all their checks at once on the sandbox pool (in parallel); others go one by one."""
    if suite.domain != "code":
        return None
    from domains.code.verify import verify_code_many

    pairs = [(ex, r) for ex in examples for r in responses_by_id.get(str(ex["id"])) or []]
    return iter(verify_code_many(pairs, sandbox))


def score_samples(suite: Suite, examples: list[Example], responses_by_id: dict[str, list[str]],
                  sandbox: Any = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Verify every response; rows carry the id field, prompt, sample index, correct, reward, details."""
    domain = get_domain(suite.domain)
    rows: list[dict[str, Any]] = []
    scores: list[list[float]] = []
    inst_s = inst_l = inst_n = prompt_s = prompt_l = n_resp = 0
    checker_errors = 0
    batched = _batched_verdicts(suite, examples, responses_by_id, sandbox)
    for ex in examples:
        responses = responses_by_id.get(str(ex["id"]))
        if not responses:
            continue
        per: list[float] = []
        for i, resp in enumerate(responses):
            v = next(batched) if batched is not None else domain.verify(ex, resp, sandbox=sandbox)
            per.append(1.0 if v.correct else 0.0)
            rows.append({suite.id_field: ex["id"], "prompt": prompt_text(ex), "sample": i, "correct": v.correct,
                         "reward": v.reward, "details": v.details})
            n_resp += 1
            if suite.metric == "ifeval":
                d = v.details
                inst_s += sum(d["strict"])
                inst_l += sum(d["loose"])
                inst_n += len(d["strict"])
                prompt_s += d["prompt_strict"]
                prompt_l += d["prompt_loose"]
                checker_errors += len(d.get("errors") or {})
        scores.append(per)
    n_unanswered = len(examples) - len(scores)
    if not scores:
        raise UserError(f"suite {suite.name}: no response matched any of the {len(examples)} examples")
    if suite.metric == "ifeval":
        metrics: dict[str, Any] = {
            "prompt_strict": 100.0 * prompt_s / n_resp, "inst_strict": 100.0 * inst_s / max(inst_n, 1),
            "prompt_loose": 100.0 * prompt_l / n_resp, "inst_loose": 100.0 * inst_l / max(inst_n, 1),
            "n": len(scores), "n_responses": n_resp, "checker_errors": checker_errors,
        }
    else:
        metrics = {**summarize(scores), "n_responses": n_resp}
    metrics.update({"suite": suite.name, "n_unanswered": n_unanswered,
                    "verifier_version": f"{suite.domain}:{domain.verifier_version}"})
    return rows, metrics
