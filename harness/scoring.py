"""Scoring responses against a suite: match responses to examples, verify each, aggregate metrics.

Used by ``mixmerge score`` (responses produced anywhere) and by the eval harness (its own samples):
``score_samples(suite, examples, responses_by_id, sandbox) -> (rows, metrics)``.

Matching (``match_responses``): by the data's id field, else by prompt text. IF suites match prompts as
IFBench's ``run_eval`` does: the exact prompt or the stripped prompt (allenai/IFBench ``evaluation_lib.py:177-194``,
``read_prompt_to_response_dict`` / ``get_response_for_prompt``); other suites ignore whitespace. A response
whose id or prompt is not in the loaded set (an MMLU-Redux question dropped for its error annotation, an LCB
problem outside the window, a prompt IFBench's input does not have) is *filtered*: counted in
``n_filtered_responses`` and left out, and scoring goes on.

Metrics: IF suites (metric "ifeval") report ``prompt_strict, inst_strict, prompt_loose, inst_loose`` in percent
over every *input* prompt, a prompt without a response counting as not followed (IFBench's ``empty_output``,
``evaluation_lib.py:43-51``, and its accuracy over all inputs, ``run_eval.py:61-62``); ``accuracy`` (what the
leaderboard plots) is prompt-level strict, as M2RL's scorer uses (the IFBench paper headlines prompt-level
loose, reported beside it). Other suites report ``accuracy`` (= Avg@K) with a bootstrap CI over problems, plus
``avg@k`` / ``pass@k`` when K > 1; examples without a response are not scored and are counted in ``n_unanswered``.
The loader's notes (what it kept, by which rule; the grader) and the ``think_gate`` setting enter the metrics.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from domains.answers import THINK_CLOSE
from domains.base import Example, Suite, Verdict
from domains.loaders import iter_jsonl_lines
from domains.registry import get_domain
from harness.errors import UserError
from harness.eval.metrics import summarize

log = logging.getLogger(__name__)
ID_FIELDS = ("id", "key", "task_id", "question_id")
Judge = Callable[[Example, str], Verdict]


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


class Matched(dict):
    """Responses per example id (a dict), plus the response rows they came from (``rows``, aligned with the
    responses) and the ``file:line`` of every filtered response (``filtered``)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[str, dict]]] = {}
        self.filtered: list[str] = []


def _prompt_index(suite: Suite, examples: list[Example]) -> Callable[[str], str | None]:
    if suite.metric == "ifeval":  # IFBench: the exact prompt, else the stripped prompt
        exact: dict[str, str] = {}
        for ex in examples:
            exact.setdefault(prompt_text(ex), str(ex["id"]))
        stripped = {p.strip(): i for p, i in exact.items()}
        return lambda p: exact.get(p) or stripped.get(p.strip())
    loose: dict[str, str] = {}
    for ex in examples:  # the prompt as we send it, or the benchmark's own prompt text
        for text in (prompt_text(ex), (ex.get("meta") or {}).get("raw_prompt")):
            if text:
                loose.setdefault(_norm(text), str(ex["id"]))
    return lambda p: loose.get(_norm(p))


def match_responses(suite: Suite, examples: list[Example], rows: Iterable[tuple[str, dict]], *,
                    skip_bad: bool = False, bad: list[str] | None = None) -> Matched:
    """Responses per example id, matched by the data's id field or, without one, by prompt text. A response
    whose id/prompt is not in the loaded set is filtered (counted, not scored); one with neither is an error."""
    by_id = {str(ex["id"]) for ex in examples}
    by_prompt = _prompt_index(suite, examples)
    fields = (suite.id_field, *[f for f in ID_FIELDS if f != suite.id_field])
    out = Matched()
    for where, row in rows:
        key = next((f for f in fields if f in row), None)
        if key is not None:
            ex_id = str(row[key])
        elif isinstance(row.get("prompt"), str):
            ex_id = by_prompt(row["prompt"])
        else:
            if skip_bad:
                if bad is not None:
                    bad.append(where)
                continue
            raise UserError(f"{where}: a response needs an id field ({'/'.join(fields)}) or its 'prompt' text")
        if ex_id is None or ex_id not in by_id:
            out.filtered.append(where)
            continue
        resp = row.get("responses", row.get("response"))
        resp = resp if isinstance(resp, list) else [resp]
        out.setdefault(ex_id, []).extend(resp)
        out.rows.setdefault(ex_id, []).extend([(where, row)] * len(resp))
    return out


def _batched_verdicts(suite: Suite, examples: list[Example], responses_by_id: dict[str, list[str]], sandbox: Any):
    """Code suites run all their checks at once on the sandbox pool (in parallel); others go one by one."""
    if suite.domain != "code":
        return None
    from domains.code.verify import verify_code_many

    pairs = [(ex, r) for ex in examples for r in responses_by_id.get(str(ex["id"])) or []]
    return iter(verify_code_many(pairs, sandbox))


class _IFTotals:
    def __init__(self) -> None:
        self.inst_s = self.inst_l = self.inst_n = 0
        self.prompt_s = self.prompt_l = 0.0
        self.errors = 0

    def add(self, ex: Example, verdicts: list[Verdict]) -> None:
        """One input prompt: the mean over its responses (none = nothing followed, as IFBench's empty_output)."""
        n_inst = len(ex["label"]["instruction_id_list"])
        self.inst_n += n_inst
        if not verdicts:
            return
        k = len(verdicts)
        self.prompt_s += sum(v.details["prompt_strict"] for v in verdicts) / k
        self.prompt_l += sum(v.details["prompt_loose"] for v in verdicts) / k
        self.inst_s += sum(sum(v.details["strict"]) for v in verdicts) / k
        self.inst_l += sum(sum(v.details["loose"]) for v in verdicts) / k
        self.errors += sum(len(v.details.get("errors") or {}) for v in verdicts)

    def metrics(self, n_prompts: int) -> dict[str, Any]:
        return {"prompt_strict": 100.0 * self.prompt_s / n_prompts, "inst_strict": 100.0 * self.inst_s / max(self.inst_n, 1),
                "prompt_loose": 100.0 * self.prompt_l / n_prompts, "inst_loose": 100.0 * self.inst_l / max(self.inst_n, 1),
                "checker_errors": self.errors,
                "headline": "accuracy = prompt_strict (M2RL's scorer; the leaderboard's value); the IFBench paper "
                            "headlines prompt_loose"}


def score_samples(suite: Suite, examples: list[Example], responses_by_id: dict[str, list[str]],
                  sandbox: Any = None, *, think_gate: bool = False,
                  judge: Judge | None = None,
                  on_row: Callable[[dict[str, Any]], None] | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Verify every response; rows carry the id field, prompt, sample index, correct, reward, details.

    ``think_gate``: a response without a closing ``</think>`` scores 0 (the paper's scorer). ``judge``: a
    verdict function used instead of the domain's verifier (HLE's LLM judge). When ``responses_by_id`` is a
    ``Matched`` and the suite has ``response_order``, each response is scored under the order it carries.
    ``on_row`` sees each verdict row as soon as it exists (``mixmerge score`` writes it out at once, so an error
    late in a run keeps the verdicts before it)."""
    domain = get_domain(suite.domain)
    response_rows = getattr(responses_by_id, "rows", {})
    rows: list[dict[str, Any]] = []
    scores: list[list[float]] = []
    orders: Counter[str] = Counter()
    if_totals = _IFTotals() if suite.metric == "ifeval" else None
    n_resp = gated = 0
    batched = _batched_verdicts(suite, examples, responses_by_id, sandbox)
    for ex in examples:
        responses = responses_by_id.get(str(ex["id"])) or []
        per: list[float] = []
        verdicts: list[Verdict] = []
        for i, resp in enumerate(responses):
            v = next(batched) if batched is not None else None
            target, order = ex, None
            if suite.response_order is not None:
                where, row = (response_rows.get(str(ex["id"])) or [("", {})] * (i + 1))[i]
                target, order, v_order = suite.response_order(ex, row, where)
                v = v_order or v
                orders[order] += 1
            if think_gate and THINK_CLOSE not in resp:
                v = Verdict(0.0, False, {"reason": "no closing </think> (think_gate on)",
                                         **({"prompt_strict": False, "prompt_loose": False,
                                             "strict": [False] * len(ex["label"]["instruction_id_list"]),
                                             "loose": [False] * len(ex["label"]["instruction_id_list"])}
                                            if if_totals else {})})
                gated += 1
            elif v is None:
                v = judge(target, resp) if judge is not None else domain.verify(target, resp, sandbox=sandbox)
            per.append(1.0 if v.correct else 0.0)
            verdicts.append(v)
            rows.append({suite.id_field: ex["id"], "prompt": prompt_text(ex), "sample": i, "correct": v.correct,
                         "reward": v.reward, "details": {**v.details, **({"order": order} if order else {})}})
            if on_row is not None:
                on_row(rows[-1])
            n_resp += 1
        if if_totals is not None:
            if_totals.add(ex, verdicts)
        if per:
            scores.append(per)
        elif if_totals is not None:
            scores.append([])
    n_unanswered = sum(1 for s in scores if not s) + len(examples) - len(scores)
    if not any(scores):
        first = (getattr(responses_by_id, "filtered", None) or [None])[0]
        raise UserError(f"suite {suite.name}: no response matched any of the {len(examples)} examples"
                        + (f" (first unmatched: {first}: no example with that id or prompt)" if first else ""))
    if if_totals is not None:
        # every input prompt counts; one without a response scores 0 (IFBench)
        metrics = {**summarize([s or [0.0] for s in scores]), **if_totals.metrics(len(examples)),
                   "n_responses": n_resp}
    else:
        metrics: dict[str, Any] = {**summarize(scores), "n_responses": n_resp}
    metrics.update({"suite": suite.name, "n_examples": len(examples), "n_unanswered": n_unanswered,
                    "n_filtered_responses": len(getattr(responses_by_id, "filtered", [])),
                    "think_gate": think_gate, "n_think_gated": gated,
                    "verifier_version": f"{suite.domain}:{domain.verifier_version}"})
    metrics.update(getattr(examples, "notes", {}))
    if orders:
        metrics["letters_order"] = dict(orders)
    if judge is not None:
        metrics["grader"] = getattr(judge, "description", "judge")
    return rows, metrics
