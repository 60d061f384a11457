"""Synthetic finished runs for the report tests: per-variant samples with a given accuracy per suite."""

from __future__ import annotations

import json
import random

SUITES = ["micro-math", "micro-code", "micro-science", "micro-if"]


def write_eval(root, variant, acc: dict[str, float], n=60, k=2, seed=0, salt=""):
    """``k`` samples of ``n`` problems per suite, each correct with ``acc[suite]`` (default 0.3)."""
    rng = random.Random(f"{variant}{seed}{salt}")
    for suite in SUITES:
        d = root / f"eval-{variant}" / variant / suite
        d.mkdir(parents=True)
        with open(d / "samples.jsonl", "w") as f:
            for i in range(n):
                for _ in range(k):
                    f.write(json.dumps({"id": f"{suite}-{i}", "prompt": "p", "completion": "c",
                                        "correct": rng.random() < acc.get(suite, 0.3)}) + "\n")


def write_study(root, *, multi: dict[str, float] | None = None, **kw):
    """SFT at 0.3, each rl-<d> at 0.9 on its own suite, rl-multi at 0.9 everywhere (``multi`` overrides), TIES 0.3."""
    write_eval(root, "sft", {}, **kw)
    for d in ("math", "code", "science", "if"):
        write_eval(root, f"rl-{d}", {f"micro-{d}": 0.9}, **kw)
    write_eval(root, "rl-multi", {**{s: 0.9 for s in SUITES}, **(multi or {})}, **kw)
    write_eval(root, "merge-ties", {s: 0.3 for s in SUITES}, **kw)
    return root
