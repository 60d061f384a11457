"""An OpenAI-compatible LLM judge for HLE's exact-match questions (the official grader, o3-mini, is a judge).

The judge prompt and its reading follow HLE's ``hle_eval/run_judge_results.py`` (centerforaisafety/hle): the judge
is shown the question, the response and the correct answer, and answers with ``extracted_final_answer:``,
``reasoning:``, ``correct: yes|no`` and ``confidence:`` lines; the verdict is its ``correct:`` line. (HLE asks for
a structured output; here the same fields are read from plain text, so any OpenAI-compatible server works.)
Multiple-choice questions keep the letter verdict. A judge that cannot be reached or answers without a
``correct:`` line is a user error naming the endpoint, never a silent zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domains.base import Example, Verdict
from domains.science.verify import verify_science
from harness.errors import UserError

JUDGE_PROMPT = """Judge whether the following [response] to [question] is correct or not based on the precise and \
unambiguous [correct_answer] below.

[question]: {question}

[response]: {response}

Your judgement must be in the format and criteria specified below:

extracted_final_answer: The final exact answer extracted from the [response]. Put the extracted answer as 'None' \
if there is no exact, final answer to extract from the response.

[correct_answer]: {correct_answer}

reasoning: Explain why the extracted_final_answer is correct or incorrect based on [correct_answer], focusing only \
on if there are meaningful differences between [correct_answer] and the extracted_final_answer. Do not comment on \
any background to the problem, do not attempt to solve the problem, do not argue for any answer different than \
[correct_answer], focus only on whether the answers match.

correct: Answer 'yes' if extracted_final_answer matches the [correct_answer] given above, or is within a small \
margin of error for numerical problems. Answer 'no' otherwise, i.e. if there if there is any inconsistency, \
ambiguity, non-equivalency, or if the extracted answer is incorrect.

confidence: The extracted confidence score between 0% and 100% from [response]. Put 100 if there is no confidence \
score available."""
_CORRECT = re.compile(r"^\s*\**correct\**\s*:\s*\**\s*(yes|no)\b", re.IGNORECASE | re.MULTILINE)
_EXTRACTED = re.compile(r"^\s*\**extracted_final_answer\**\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass
class OpenAIJudge:
    """``judge(example, response) -> Verdict`` through ``POST {url}/chat/completions``."""

    url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 120.0

    @property
    def description(self) -> str:
        return f"LLM judge {self.model} at {self.url} (HLE's judge prompt) for exact-match questions"

    def __call__(self, example: Example, response: str) -> Verdict:
        label = example["label"]
        if not (isinstance(label, dict) and "exact" in label):
            return verify_science(example, response)
        import httpx

        prompt = JUDGE_PROMPT.format(question=example["meta"].get("raw_prompt", ""), response=response,
                                     correct_answer=label["exact"])
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        endpoint = self.url.rstrip("/") + "/chat/completions"
        try:
            r = httpx.post(endpoint, headers=headers, timeout=self.timeout_s,
                           json={"model": self.model, "messages": [{"role": "user", "content": prompt}]})
            r.raise_for_status()
            text = r.json()["choices"][0]["message"]["content"] or ""
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as e:
            raise UserError(f"HLE judge {endpoint}: no usable reply ({type(e).__name__}: {e})") from None
        m = _CORRECT.search(text)
        if not m:
            raise UserError(f"HLE judge {endpoint}: reply has no 'correct: yes|no' line: {text[:120]!r}")
        ok = m.group(1).lower() == "yes"
        got = _EXTRACTED.search(text)
        return Verdict(float(ok), ok, {"extracted": got.group(1).strip() if got else None, "compared_by": "judge"})
