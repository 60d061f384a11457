"""IF verifier: the published IFEval / IFBench checkers (PyPI ``if-verifiable`` 0.1.2) behind our interface.

Why if-verifiable: measured on this machine it reproduces the IFEval paper's figures on the published GPT-4
responses exactly and agrees with IFBench's official verdicts on all 294 sample outputs, with light
dependencies (``lm-eval``'s registry lands one prompt off; ``nvidia-ifbench`` downloads a spaCy model at
import). We call its checker classes ourselves rather than its ``evaluate_instructions`` because that
function *skips* unknown instruction ids and lets a raising checker crash: here an unknown id or a checker
that raises counts as not followed (strict and loose) and is logged. Strict = the response as written
(after any ``</think>``); loose = the official variants (first/last line removed, ``*`` removed).
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
from contextlib import contextmanager
from functools import cache
from typing import Any

from domains.answers import after_thinking
from domains.base import Example, Verdict
from harness.errors import UserError

VERSION = "1"
log = logging.getLogger(__name__)
REGISTRIES = ("ifeval", "ifbench")
# NLTK resources the checkers use, as (nltk.data path, nltk.download name)
NLTK_RESOURCES = (
    ("tokenizers/punkt_tab/english/", "punkt_tab"),
    ("corpora/stopwords", "stopwords"),
    ("taggers/averaged_perceptron_tagger_eng/", "averaged_perceptron_tagger_eng"),
)


@cache
def registry(name: str) -> dict[str, Any]:
    import langdetect

    # the case checkers call langdetect, which samples with its own unseeded RNG: pin it so verdicts repeat
    langdetect.DetectorFactory.seed = 0
    if name == "ifeval":
        from if_verifiable.ifeval.instructions_registry import INSTRUCTION_DICT
    elif name == "ifbench":
        import nltk

        # its module calls nltk.download() at import for resources check_nltk() has already verified (plus
        # 'punkt', which nothing we call uses): no network attempts from a verifier
        real = nltk.download
        nltk.download = lambda *a, **k: False
        try:
            from if_verifiable.ifbench.instructions_registry import INSTRUCTION_DICT
        finally:
            nltk.download = real
    else:
        from harness.errors import unknown

        raise unknown("IF registry", name, list(REGISTRIES))
    return INSTRUCTION_DICT


def check_nltk(registry_names: tuple[str, ...] = REGISTRIES) -> None:
    """Fail with one line naming the first missing NLTK resource and how to get it (honours NLTK_DATA).
    IFEval's checkers need punkt_tab; IFBench's also need the stop words and the perceptron tagger."""
    import nltk

    env = os.environ.get("NLTK_DATA")
    if env:
        for p in env.split(os.pathsep):
            if p and p not in nltk.data.path:
                nltk.data.path.insert(0, p)
    needed = NLTK_RESOURCES if "ifbench" in registry_names else NLTK_RESOURCES[:1]
    for path, name in needed:
        try:
            nltk.data.find(path)
        except LookupError:
            raise UserError(
                f"NLTK resource {name!r} not found (searched NLTK_DATA={env or 'unset'} and NLTK's default "
                f"paths); the IF checkers need it: python -m nltk.downloader {name} (or point NLTK_DATA at a "
                f"directory holding it, e.g. ../shared/external/nltk_data)"
            ) from None


_NLTK_OK: set[tuple[str, ...]] = set()


def _ensure_nltk(names: tuple[str, ...]) -> None:
    if names not in _NLTK_OK:
        check_nltk(names)
        _NLTK_OK.add(names)


def loose_variants(response: str) -> list[str]:
    from if_verifiable.common import get_loose_transformations

    return get_loose_transformations(response)


def _replaced_kwargs(given: dict | None, used: dict | None) -> list[str]:
    """Kwargs the checker silently replaced (the published code substitutes a random value for an invalid one,
    e.g. IFEval's letter-frequency checker given ``letter='!'``)."""
    out = []
    for k, v in (given or {}).items():
        if v is None or not used or k not in used or isinstance(v, list | dict):
            continue
        if str(v).strip().lower() != str(used[k]).strip().lower():
            out.append(f"{k}={v!r}")
    return out


@contextmanager
def _seeded_random(*parts: Any):
    """Some published checkers fill invalid/missing kwargs with ``random`` choices (IFEval's letter-frequency
    checker given ``letter='!'`` picks a random letter); seed it from the instruction so verdicts are
    deterministic, and restore the global state afterwards."""
    state = random.getstate()
    random.seed(int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "big"))
    try:
        yield
    finally:
        random.setstate(state)


def _check_one(checker_cls, iid: str, kwargs: dict, prompt: str, variants: list[str]) -> tuple[bool, bool, str]:
    with _seeded_random(iid, sorted((kwargs or {}).items(), key=lambda kv: kv[0])):
        return _check_one_unseeded(checker_cls, iid, kwargs, prompt, variants)


def _check_one_unseeded(checker_cls, iid: str, kwargs: dict, prompt: str, variants: list[str]) -> tuple[bool, bool, str]:
    try:
        checker = checker_cls(iid)
        checker.build_description(**{k: v for k, v in (kwargs or {}).items() if v is not None})
        args = checker.get_instruction_args()
        replaced = _replaced_kwargs(kwargs, args)
        if replaced:  # the checker would check something else than the instruction says
            log.warning("IF checker %s replaced invalid kwargs %s (counted as not followed)", iid, replaced)
            return False, False, f"checker replaced invalid kwargs {replaced}"
        if args and "prompt" in args:
            checker.build_description(prompt=prompt)
        strict = bool(variants[0].strip() and checker.check_following(variants[0]))
        loose = any(v.strip() and checker.check_following(v) for v in variants)
        return strict, loose, ""
    except LookupError as e:  # an NLTK resource vanished mid-run: a user error, not a zero
        raise UserError(f"NLTK resource missing while checking {iid!r}: {str(e).splitlines()[1:3]}") from None
    except Exception as e:  # noqa: BLE001 - a raising checker = not followed, logged
        log.warning("IF checker %s raised %s: %s (counted as not followed)", iid, type(e).__name__, e)
        return False, False, f"checker raised {type(e).__name__}: {e}"


def check_instructions(response: str, instruction_ids: list[str], kwargs_list: list[dict] | None, prompt: str,
                       registry_name: str | None = None) -> dict[str, Any]:
    """Per-instruction strict/loose results; every listed id gets a result (unknown or raising = False)."""
    names = (registry_name,) if registry_name else REGISTRIES
    _ensure_nltk(names)
    text = after_thinking(response).strip()
    variants = loose_variants(text) if text else [""]
    strict, loose, errors = [], [], {}
    for i, iid in enumerate(instruction_ids):
        kw = (kwargs_list[i] if kwargs_list and i < len(kwargs_list) else None) or {}
        cls = next((registry(n)[iid] for n in names if iid in registry(n)), None)
        if cls is None:
            log.warning("unknown IF instruction id %r (counted as not followed)", iid)
            s, lo, err = False, False, "unknown instruction id"
        elif not text:
            s, lo, err = False, False, ""
        else:
            s, lo, err = _check_one(cls, iid, kw, prompt, variants)
        strict.append(s)
        loose.append(lo)
        if err:
            errors[iid] = err
    return {"instruction_ids": list(instruction_ids), "strict": strict, "loose": loose, "errors": errors,
            "prompt_strict": bool(strict) and all(strict), "prompt_loose": bool(loose) and all(loose)}


def verify_if(example: Example, completion: str) -> Verdict:
    """Reward 1 iff every instruction is followed (strict); details carry strict and loose lists."""
    label = example["label"]
    prompt = label.get("prompt") or next((m["content"] for m in example.get("messages", []) if m["role"] == "user"), "")
    d = check_instructions(completion, label["instruction_id_list"], label.get("kwargs"), prompt,
                           label.get("registry"))
    return Verdict(float(d["prompt_strict"]), d["prompt_strict"], d)

