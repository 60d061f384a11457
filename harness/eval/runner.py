"""``evaluate(model, suites, out_dir, ...)``: K samples per problem -> the domain verifier -> results.

Per suite it writes ``out_dir/<model-name>/<suite>/``:
  results.json   Avg@K (= accuracy), its 95% bootstrap CI over problems, pass@k, n, K, IF metrics for IF
                 suites; model hash, suite hash, generation settings, seed, backend, versions, wall time.
  samples.jsonl  one line per sample: id, sample, prompt, completion, verdict {correct, reward}, details.

An infrastructure failure (``Verdict.infra``: the sandbox or an engine failed, not the completion) is verified
once more; if it persists the sample is written with ``verdict.missing`` and left out of every metric, never
counted as incorrect; ``metrics.n_missing`` says how many, and a result with missing samples is not reused
from the cache (a re-run verifies them again).

Cached: results.json carries a cache key (model hash, suite hash, settings, K, seed, backend, chunking); a
complete result with the same key is returned without generating. Resumable: problems are generated and
scored in fixed chunks whose seeds depend only on the chunk index, every scored chunk is appended to
samples.jsonl at once, and a re-run continues at the first unscored chunk — giving the same samples an
uninterrupted run would have.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import ExitStack
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from domains.base import GenerationSettings, Suite, is_infra
from domains.registry import get_domain, get_suite
from harness.errors import UserError
from harness.eval import provenance
from harness.eval.metrics import summarize
from harness.generation import SAMPLER_VERSIONS, get_generator, is_url
from harness.scoring import score_samples

log = logging.getLogger("mixmerge.eval")
OVERRIDABLE = ("temperature", "top_p", "max_new_tokens", "stop")


def model_name_of(model: str, served_model: str | None = None) -> str:
    if is_url(model):
        return (served_model or model.split("//", 1)[1].split("/", 1)[0]).replace("/", "_").replace(":", "_")
    p = Path(model).resolve()
    return p.parent.name if p.name == "model" else p.name  # a stage dir's model/ is named by its stage


def settings_for(suite: Suite, overrides: dict | None) -> GenerationSettings:
    over = {k: v for k, v in (overrides or {}).items() if v is not None}
    bad = sorted(set(over) - set(OVERRIDABLE))
    if bad:
        raise UserError(f"unknown generation override(s) {', '.join(bad)}; allowed: {', '.join(OVERRIDABLE)}")
    if "stop" in over:
        over["stop"] = tuple(over["stop"])
    return replace(suite.generation, **over)


def _read_done(samples: Path, examples: list[dict], k: int, chunk: int) -> tuple[list[dict], int]:
    """The sample lines of the whole chunks already scored, and the first chunk to (re)do."""
    if not samples.exists():
        return [], 0
    by_id: dict[str, list[dict]] = {}
    for line in samples.read_text().splitlines():
        try:
            row = json.loads(line)
            by_id.setdefault(str(row["id"]), []).append(row)
        except (json.JSONDecodeError, KeyError, TypeError):
            break  # a torn last line: everything after it is redone
    done = 0
    for ex in examples:
        if len(by_id.get(str(ex["id"]), [])) != k:
            break
        done += 1
    first = done // chunk
    keep = [r for ex in examples[: first * chunk] for r in by_id[str(ex["id"])]]
    return keep, first


def _aggregate(rows: list[dict], examples: list[dict], metric: str, seed: int) -> dict[str, Any]:
    by_id: dict[str, list[dict]] = {}
    for r in rows:
        by_id.setdefault(str(r["id"]), []).append(r)
    missing = sum(1 for r in rows if r["verdict"].get("missing"))
    scored = {i: [r for r in rs if not r["verdict"].get("missing")] for i, rs in by_id.items()}
    scores = [[1.0 if r["verdict"]["correct"] else 0.0 for r in scored[str(ex["id"])]] for ex in examples
              if scored.get(str(ex["id"]))]
    if not scores:
        raise UserError(f"every sample is missing ({missing}): the sandbox or engine failed on all of them; "
                        "check it (mixmerge sandbox check) and run again")
    out: dict[str, Any] = {**summarize(scores, seed=seed), "n_missing": missing}
    if metric == "ifeval":  # IFEval's own aggregates over every response, in percent
        ds = [r["details"] for rs in scored.values() for r in rs]
        n_inst = max(1, sum(len(d.get("strict", [])) for d in ds))
        out.update({
            "prompt_strict": 100 * sum(bool(d.get("prompt_strict")) for d in ds) / len(ds),
            "prompt_loose": 100 * sum(bool(d.get("prompt_loose")) for d in ds) / len(ds),
            "inst_strict": 100 * sum(sum(d.get("strict", [])) for d in ds) / n_inst,
            "inst_loose": 100 * sum(sum(d.get("loose", [])) for d in ds) / n_inst,
        })
    return out


class _Lazy:
    """Loads the generator / opens the sandbox only when a suite actually needs it (cache hits need neither)."""

    def __init__(self, make):
        self.make, self.obj = make, None

    def __call__(self):
        if self.obj is None:
            self.obj = self.make()
        return self.obj


def evaluate(model: str, suites: list[str | Suite], out_dir: str | Path, k: int | None = None, limit: int | None = None,
             backend: str = "transformers", overrides: dict | None = None, seed: int = 0, sandbox: Any = "auto", *,
             data: dict[str, str] | None = None, model_name: str | None = None, generator_opts: dict | None = None,
             chunk: int = 32, generator: Any = None, think_gate: bool = False,
             judge: dict | None = None) -> dict[str, dict]:
    """Evaluate ``model`` (an HF model directory or an OpenAI-compatible URL) on ``suites``; ``generator``
    (an object with the generation seam's ``generate``) replaces the one ``backend`` would load.
    ``think_gate``: 0 for a sample without ``</think>`` (the paper's scorer); ``judge``: ``{"url", "model"}`` of
    an OpenAI-compatible judge for HLE's exact-match questions (``harness.scoring.score_samples``)."""
    if not suites:
        raise UserError("no suites to evaluate; pass --suites a,b,...")
    if k is not None and k < 1 or limit is not None and limit < 1 or chunk < 1:
        raise UserError("k, limit and chunk must be positive")
    opts = dict(generator_opts or {})
    url = is_url(model)
    if not url and not Path(model).is_dir():
        raise UserError(f"model {model!r}: not a directory (expected a Hugging Face model directory or a URL)")
    resolved = [s if isinstance(s, Suite) else get_suite(s) for s in suites]  # unknown names fail before any work
    if url and generator is None and not opts.get("served_model"):
        generator = get_generator(backend, model, **opts)  # asks the server which model it serves
        opts["served_model"] = generator.model
    name = model_name or model_name_of(model, opts.get("served_model"))
    mhash = provenance.model_hash(model, opts.get("served_model"))
    results: dict[str, dict] = {}
    with ExitStack() as stack:
        gen = _Lazy(lambda: generator or get_generator(backend, model, seed=seed, **opts))

        def open_sandbox():
            if callable(sandbox):  # a factory, e.g. lambda: sandbox_for(recipe.sandbox)
                return stack.enter_context(sandbox())
            if sandbox is None or not isinstance(sandbox, str):
                return sandbox
            from harness.sandbox import get_sandbox

            return stack.enter_context(get_sandbox(sandbox))

        sb = _Lazy(open_sandbox)
        for suite in resolved:
            results[suite.name] = _evaluate_suite(
                suite, gen, sb, Path(out_dir) / name / suite.name, model=model, name=name, mhash=mhash,
                k=k or suite.k, limit=limit, settings=settings_for(suite, overrides), seed=seed, backend=backend,
                data=(data or {}).get(suite.name), chunk=chunk, think_gate=think_gate,
                judge=judge if suite.name == "hle" else None)
    return results


def _evaluate_suite(suite: Suite, gen, sb, out: Path, *, model, name, mhash, k, limit, settings, seed, backend,
                    data, chunk, think_gate=False, judge=None) -> dict:
    t0 = time.perf_counter()
    examples = suite.load(data)
    notes = dict(getattr(examples, "notes", {}))  # what the loader kept, by which rule
    if limit:
        examples = examples[:limit]
    if not examples:
        raise UserError(f"suite {suite.name}: no problems to evaluate")
    verifier = f"{suite.domain}:{get_domain(suite.domain).verifier_version}"
    shash = provenance.suite_hash(suite, examples, verifier)
    gen_dict = {**asdict(settings), "stop": list(settings.stop)}
    key = provenance.stable_hash({"model": mhash, "suite": shash, "generation": gen_dict, "k": k, "seed": seed,
                                  "backend": backend, "sampler": SAMPLER_VERSIONS.get(backend, "1"), "chunk": chunk,
                                  "think_gate": think_gate, "judge": judge})
    res_path, samples_path = out / "results.json", out / "samples.jsonl"
    prev = json.loads(res_path.read_text()) if res_path.exists() else {}
    if prev.get("cache_key") == key and prev.get("complete") and not prev.get("metrics", {}).get("n_missing"):
        log.info("%s/%s: cached (key %s), not regenerated", name, suite.name, key)
        return prev
    out.mkdir(parents=True, exist_ok=True)
    rows, first = _read_done(samples_path, examples, k, chunk) if prev.get("cache_key") == key else ([], 0)
    if first:
        log.info("%s/%s: resuming at problem %d of %d", name, suite.name, first * chunk, len(examples))
    header = {"model": name, "model_path": str(model), "model_hash": mhash, "suite": suite.name,
              "suite_version": suite.version, "suite_hash": shash, "domain": suite.domain, "metric": suite.metric,
              "verifier_version": verifier, "data": data or suite.hub_id or "generated", "k": k, "n": len(examples),
              "generation": gen_dict, "seed": seed, "backend": backend, "chunk_problems": chunk, "cache_key": key,
              "versions": provenance.versions(backend), "think_gate": think_gate, "loader": notes,
              **({"judge": judge} if judge else {})}
    _write_json(res_path, {**header, "complete": False, "done": len(rows) // k})
    with open(samples_path, "w") as f:  # rewrite: only whole scored chunks survive an interruption
        f.writelines(json.dumps(r) + "\n" for r in rows)
    gen_s = score_s = 0.0
    chunks = range(first * chunk, len(examples), chunk)
    for start in tqdm(chunks, desc=f"{name}/{suite.name}", unit="chunk", disable=len(chunks) < 2):
        part = examples[start:start + chunk]
        t = time.perf_counter()
        comps = gen().generate([ex["messages"] for ex in part], k, settings, seed=seed * 1_000_003 + start // chunk)
        t2 = time.perf_counter()
        responses = {str(ex["id"]): c for ex, c in zip(part, comps, strict=True)}
        box = sb() if suite.domain == "code" else None
        scored, _ = score_samples(suite, part, responses, box, think_gate=think_gate, judge=_judge(judge))
        _retry_infra(suite, part, responses, scored, box, think_gate=think_gate, judge=_judge(judge))
        score_s += time.perf_counter() - t2
        gen_s += t2 - t
        new = [{"id": str(r[suite.id_field]), "sample": r["sample"], "prompt": ex_msgs,
                "completion": responses[str(r[suite.id_field])][r["sample"]],
                "verdict": {"correct": bool(r["correct"]), "reward": float(r["reward"]),
                            **({"missing": True} if is_infra(r["details"]) else {})}, "details": r["details"]}
               for r, ex_msgs in _with_prompts(scored, part, suite.id_field)]
        with open(samples_path, "a") as f:
            f.writelines(json.dumps(r, default=str) + "\n" for r in new)
            f.flush()
            os.fsync(f.fileno())
        rows += new
        _write_json(res_path, {**header, "complete": False, "done": len(rows) // k})
    metrics = _aggregate(rows, examples, suite.metric, seed)
    result = {**header, "metrics": metrics, "complete": True, "done": len(examples),
              "wall_s": round(time.perf_counter() - t0, 3), "generation_s": round(gen_s, 3),
              "scoring_s": round(score_s, 3), "resumed_at": first * chunk}
    _write_json(res_path, result)
    log.info("%s/%s: accuracy %.4f [%.4f, %.4f] n=%d K=%d", name, suite.name, metrics["accuracy"],
             metrics["ci_low"], metrics["ci_high"], len(examples), k)
    return result


def _retry_infra(suite: Suite, part: list[dict], responses: dict[str, list[str]], scored: list[dict], sb,
                 **scoring) -> None:
    """Verify once more every sample whose verdict is an infrastructure failure (rows updated in place)."""
    bad: dict[str, list[dict]] = {}
    for r in scored:
        if is_infra(r["details"]):
            bad.setdefault(str(r[suite.id_field]), []).append(r)
    if not bad:
        return
    retry = [ex for ex in part if str(ex["id"]) in bad]
    again, _ = score_samples(suite, retry, {i: [responses[i][r["sample"]] for r in rs] for i, rs in bad.items()}, sb,
                             **scoring)
    old = [r for ex in retry for r in bad[str(ex["id"])]]
    for r, n in zip(old, again, strict=True):
        r.update(correct=n["correct"], reward=n["reward"], details=n["details"])
    left = sum(is_infra(r["details"]) for r in old)
    log.warning("%s: %d samples hit a sandbox/engine failure; retried once, %d still failing (reported missing)",
                suite.name, len(old), left)


def _judge(judge: dict | None):
    if not judge:
        return None
    from domains.science.judge import OpenAIJudge

    return OpenAIJudge(judge["url"], judge.get("model", "o3-mini"), os.environ.get("OPENAI_API_KEY"))


def _with_prompts(scored: list[dict], part: list[dict], id_field: str):
    msgs = {str(ex["id"]): ex["messages"] for ex in part}
    return [(r, msgs[str(r[id_field])]) for r in scored]


def _write_json(path: Path, obj: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=str))
    tmp.replace(path)
