"""Reading evaluation samples: ``<eval dir>/[<model-name>/]<suite>/samples.jsonl``, one line per sample
``{id, prompt, completion, correct | verdict: {correct, ...}, details}`` (the eval stage's layout).

``per_problem`` folds the K samples of a problem into its solve rate and its most common extracted answer
(``details.answer`` / ``extracted`` / ``pred`` when the verifier records one).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from domains.loaders import iter_jsonl_lines
from harness.errors import UserError

ANSWER_KEYS = ("answer", "extracted", "extracted_answer", "pred", "prediction")

# Suite -> domain for suites whose name does not say it (micro suites are "micro-<domain>").
SUITE_DOMAINS = {"aime24": "math", "aime25": "math", "math500": "math", "gpqa-diamond": "science",
                 "hle": "science", "ifeval": "if", "ifbench": "if", "livecodebench": "code", "humaneval": "code",
                 "mmlu-redux": "general"}


def suite_domain(suite: str, overrides: dict[str, str] | None = None, eval_dir: Path | None = None) -> str | None:
    """The suite's domain: an explicit override, else the eval's ``results.json`` ``domain``, else the name."""
    if overrides and suite in overrides:
        return overrides[suite]
    if eval_dir is not None:
        try:
            res = find_samples(eval_dir, suite).parent / "results.json"
            if res.exists():
                dom = json.loads(res.read_text()).get("domain")
                if dom:
                    return dom
        except (UserError, json.JSONDecodeError):
            pass
    if suite in SUITE_DOMAINS:
        return SUITE_DOMAINS[suite]
    tail = suite.rsplit("-", 1)[-1]
    return tail if tail in ("math", "code", "science", "if", "general") else None


def find_samples(eval_dir: Path, suite: str) -> Path:
    eval_dir = Path(eval_dir)
    direct = eval_dir / suite / "samples.jsonl"
    if direct.exists():
        return direct
    found = sorted(eval_dir.glob(f"*/{suite}/samples.jsonl"))
    if len(found) == 1:
        return found[0]
    if not found:
        raise UserError(f"{eval_dir}: no {suite}/samples.jsonl (expected <eval dir>/[<model>/]{suite}/samples.jsonl)")
    raise UserError(f"{eval_dir}: several models hold {suite}/samples.jsonl ({', '.join(str(f) for f in found)}); "
                    "point at one model's directory")


def list_suites(eval_dir: Path) -> list[str]:
    eval_dir = Path(eval_dir)
    return sorted({p.parent.name for p in eval_dir.glob("*/samples.jsonl")} |
                  {p.parent.name for p in eval_dir.glob("*/*/samples.jsonl")})


def _correct(row: dict, where: str) -> bool:
    if "correct" in row:
        return bool(row["correct"])
    v = row.get("verdict")
    if isinstance(v, dict) and "correct" in v:
        return bool(v["correct"])
    raise UserError(f"{where}: sample has neither 'correct' nor 'verdict.correct'")


def read_samples(path: Path) -> list[dict]:
    rows = []
    for n, row in iter_jsonl_lines(path):
        if "id" not in row:
            raise UserError(f"{path}:{n}: sample has no 'id'")
        row["_correct"] = _correct(row, f"{path}:{n}")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Problem:
    id: str
    solve_rate: float
    answer: str | None
    samples: int


def _answer(row: dict) -> str | None:
    for src in (row.get("details") or {}, (row.get("verdict") or {}).get("details") or {}):
        if isinstance(src, dict):
            for k in ANSWER_KEYS:
                if src.get(k) is not None:
                    return str(src[k]).strip()
    return None


def per_problem(rows: list[dict]) -> dict[str, Problem]:
    by_id: dict[str, list[dict]] = {}
    for r in rows:
        by_id.setdefault(str(r["id"]), []).append(r)
    out = {}
    for pid, rs in by_id.items():
        answers = [a for a in (_answer(r) for r in rs) if a is not None]
        mode = Counter(answers).most_common(1)[0][0] if answers else None
        out[pid] = Problem(pid, sum(r["_correct"] for r in rs) / len(rs), mode, len(rs))
    return out


def accuracy(rows: list[dict]) -> float:
    probs = per_problem(rows)
    return sum(p.solve_rate for p in probs.values()) / len(probs) if probs else float("nan")
