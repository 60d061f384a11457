"""Result files with a known ranking (a uniquely named helper module)."""

import json

from harness.eval.metrics import summarize

# per-problem correctness of K=4 samples, chosen so the ranking per suite is known
SCORES = {
    "rl-math": {"micro-math": [[1, 1, 1, 0]] * 5 + [[0, 0, 0, 0]] * 5, "micro-if": [[1, 0, 0, 0]] * 10},
    "rl-if": {"micro-math": [[1, 0, 0, 0]] * 10, "micro-if": [[1, 1, 1, 1]] * 8 + [[0, 0, 0, 0]] * 2},
    "sft": {"micro-math": [[0, 0, 0, 0]] * 10, "micro-if": [[1, 1, 0, 0]] * 10},
}


def write_results(root, scores=SCORES):
    for model, suites in scores.items():
        for suite, s in suites.items():
            d = root / model / suite
            d.mkdir(parents=True)
            m = summarize(s)
            (d / "results.json").write_text(json.dumps(
                {"model": model, "suite": suite, "k": m["k"], "n": m["n"], "metrics": m, "complete": True}))
    return root
