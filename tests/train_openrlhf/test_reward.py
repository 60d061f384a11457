"""The mounted reward file, loaded and called the way OpenRLHF 0.11.2 does, on real domain verifiers.

OpenRLHF (``utils/agent.py``, ``SingleTurnAgentExecutor``) loads the file with
``importlib.util.spec_from_file_location("reward_func", path)`` and calls ``reward_func([query], [prompt],
[label])`` from ``asyncio.to_thread`` with query = decoded prompt + response, special tokens kept; it reads
``rewards``, ``scores`` and ``extra_logs`` of the returned dict.
"""

import asyncio
import importlib.util
import json
import shutil

import pytest
import torch
from need import need

from harness.recipe import Recipe
from harness.train.openrlhf import data, launch

TEMPLATE = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"


def chat_prompt(example) -> str:
    return TEMPLATE.format(example["messages"][-1]["content"])


def load_reward_file(tmp_path, recipe: Recipe, stage: str):
    plan = launch.plan(recipe, "grpo", stage, tmp_path)
    launch.prepare(plan, recipe, examples=_pools(recipe, plan.shares))
    spec = importlib.util.spec_from_file_location("reward_func", plan.reward_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, plan


def right(examples):
    """SFT examples whose reference is right (the micro teacher errs on a share of them)."""
    return [e for e in examples if not e["meta"].get("teacher_error")]


def _pools(recipe, shares):
    return {d: data.domain_examples(recipe, d, "sft") for d in shares}


def call_like_openrlhf(fn, queries, prompts, labels):
    """One call per sample from worker threads, as SingleTurnAgentExecutor._fetch_rewards_via_func."""
    async def gather():
        return await asyncio.gather(*[asyncio.to_thread(fn, [q], [p], [lab])
                                      for q, p, lab in zip(queries, prompts, labels, strict=True)])
    return asyncio.run(gather())


def small(**over) -> Recipe:
    d = {"name": "rw", "data": {k: {"rl": 8, "sft": 16, "eval": 4} for k in ("math", "code", "science", "if")},
         "rl_multi": {"steps": 1, "prompts_per_step": 8}, "grpo": {"steps": 1, "prompts_per_step": 4}}
    d.update(over)
    return Recipe.model_validate(d)


def score(module, examples, responses, end="<|im_end|>"):
    prompts = [chat_prompt(e) for e in examples]
    queries = [p + r + end for p, r in zip(prompts, responses, strict=True)]
    labels = [data.label_json(e) for e in examples]
    outs = call_like_openrlhf(module.reward_func, queries, prompts, labels)
    for o in outs:  # what OpenRLHF's samples_generator does with them
        assert torch.tensor([o["rewards"]]).numel() == 1 and torch.tensor([o["scores"]]).numel() == 1
        assert all(v.numel() == 1 for v in o["extra_logs"].values())
    assert len({tuple(sorted(o["extra_logs"])) for o in outs}) == 1  # same keys on every call
    return outs


def test_math_rewards_with_real_verifier(tmp_path):
    module, _ = load_reward_file(tmp_path, small(), "rl-math")
    exs = right(data.domain_examples(small(), "math", "sft"))[:4]
    refs = [e["meta"]["response"] for e in exs]
    outs = score(module, exs, refs)
    assert [float(o["rewards"][0]) for o in outs] == [1.0] * 4
    assert all(float(o["extra_logs"]["math_share"][0]) == 1.0 for o in outs)
    wrong = score(module, exs, ["\\boxed{" + str(10**9 + i) + "}" for i in range(4)])
    assert [float(o["rewards"][0]) for o in wrong] == [0.0] * 4
    assert all(float(o["extra_logs"]["reward_error"][0]) == 0.0 for o in wrong)


def test_think_gate_and_bad_labels(tmp_path):
    r = small(grpo={"steps": 1, "prompts_per_step": 4, "think_gate": True})
    module, _ = load_reward_file(tmp_path, r, "rl-math")
    ex = right(data.domain_examples(r, "math", "sft"))[0]
    resp = ex["meta"]["response"]
    gated = score(module, [ex, ex], ["<think>ok</think>" + resp, resp])
    assert [float(o["rewards"][0]) for o in gated] == [1.0, 0.0]
    out = module.reward_func([chat_prompt(ex) + resp], [chat_prompt(ex)], ["not json"])
    assert float(out["rewards"][0]) == 0.0 and float(out["extra_logs"]["reward_error"][0]) == 1.0


def stdio_example(i: int) -> dict:
    """A LiveCodeBench-style stdin/stdout problem (the code domain's ``stdio`` label format)."""
    tests = [{"input": f"{n}\n", "output": f"{n * (i + 2)}\n"} for n in (1, 5, 12)]
    return {"id": f"stdio-{i}", "domain": "code", "label": {"format": "stdio", "tests": tests},
            "messages": [{"role": "user", "content": f"Read n, print n*{i + 2}."}],
            "meta": {"response": f"```python\nn = int(input())\nprint(n * {i + 2})\n```"}}


@pytest.mark.slow
@pytest.mark.bwrap
def test_multi_task_routes_each_sample_to_its_domain(tmp_path):
    need(None if shutil.which("bwrap") else "bubblewrap (the code domain's rewards run in its sandbox)")
    from domains import registry
    from harness.sandbox import Limits, get_sandbox

    r = small(sandbox={"backend": "bwrap", "workers": 2})
    module, _ = load_reward_file(tmp_path, r, "rl-multi")
    exs = [stdio_example(0), stdio_example(1)]
    exs += [e for d in ("math", "science", "if", "code") for e in right(data.domain_examples(r, d, "sft"))[:2]]
    refs = [e["meta"]["response"] for e in exs]
    ok = [float(o["rewards"][0]) for o in score(module, exs, refs)]
    assert ok[:8] == [1.0] * 8  # reference answers of stdio code, math, science, IF
    shares = {d: sum(float(o["extra_logs"][f"{d}_share"][0]) for o in score(module, exs[:2], refs[:2]))
              for d in ("math", "code", "science", "if")}
    assert shares == {"math": 0, "code": 2, "science": 0, "if": 0}
    # every (example, completion) pair scores exactly what the example's own domain verifier says
    swapped = refs[3:] + refs[:3]
    got = [float(o["rewards"][0]) for o in score(module, exs, swapped)]
    with get_sandbox("bwrap", limits=Limits(), workers=2) as sb:
        want = [registry.get_domain(e["domain"]).verify(e, c, sandbox=sb).reward for e, c in zip(exs, swapped, strict=True)]
        want_ref = [registry.get_domain(e["domain"]).verify(e, c, sandbox=sb).reward for e, c in zip(exs, refs, strict=True)]
    assert got == want and ok == want_ref
    assert sum(got) < len(got) / 2  # other domains' answers mostly fail: the label, not the text, routes


def test_completion_is_the_response_only():
    from harness.train.openrlhf import reward_func as rf

    p = TEMPLATE.format("q")
    assert rf.completion_of(p + "the answer\\boxed{3}<|im_end|>", p) == "the answer\\boxed{3}"
    assert rf.completion_of("xx" + p + "r<|endoftext|><|im_end|>\n", p) == "r"


def test_label_round_trip():
    ex = {"id": "a", "domain": "code", "messages": [{"role": "user", "content": "q"}],
          "label": {"tests": [{"input": "1", "output": "1"}]}, "meta": {}}
    assert json.loads(data.rl_record(ex)["label"]) == {"domain": "code", "id": "a", "label": ex["label"]}


class _Engine:
    """Stands in for the vLLM engine only: returns a fixed response's token ids for the prompt."""

    def __init__(self, token_ids):
        self.token_ids = token_ids

    async def generate(self, prompt_token_ids, params, multi_modal_data=None):
        from types import SimpleNamespace

        out = SimpleNamespace(token_ids=self.token_ids, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[out])


def test_release_executor_loads_and_calls_the_reward_file(tmp_path, release_executor):
    """OpenRLHF's executor loads the file by path, decodes prompt+response with a real chat tokenizer
    (special tokens kept) and reads our reward; the reference answer scores 1, a wrong one 0."""
    from types import SimpleNamespace

    from harness.model.build import train_tokenizer

    r = small()
    module, plan = load_reward_file(tmp_path, r, "rl-math")
    exs = right(data.domain_examples(r, "math", "sft"))[:3]
    tok = train_tokenizer([e["messages"][-1]["content"] + e["meta"]["response"] for e in exs], vocab_size=300)
    executor = release_executor(str(plan.reward_file))
    for e in exs:
        prompt = tok.apply_chat_template(e["messages"], tokenize=False, add_generation_prompt=True)
        for response, want in ((e["meta"]["response"], 1.0), ("\\boxed{987654321}", 0.0)):
            ids = tok(response + "<|im_end|>", add_special_tokens=False)["input_ids"]
            params = SimpleNamespace(max_tokens=64, logprobs=None)
            out = asyncio.run(executor.execute(prompt, data.label_json(e), params, 512, tok, _Engine(ids)))
            assert float(torch.tensor([out["reward"]])[0]) == want
            assert float(out["extra_logs"]["math_share"][0]) == 1.0
