"""The eval stage reads LiveCodeBench's window from the recipe (``eval.lcb_windows``), on the shared LCB rows."""

from __future__ import annotations

from datetime import date

from harness.eval.stages import _windowed
from harness.recipe import EvalStage, LCBWindowSection


def test_the_recipe_window_decides_which_problems_load(external):
    lcb = external / "benchmarks/livecodebench/lcb_codegen_lite_native.jsonl"
    everything = _windowed("lcb-v5", EvalStage(lcb_windows={"lcb-v5": LCBWindowSection(release="release_v6")}))
    default = _windowed("lcb-v5", EvalStage())
    narrow = _windowed("lcb-v5", EvalStage(lcb_windows={"lcb-v5": LCBWindowSection(
        release="release_v5", start=date(2000, 1, 1), end=date(2000, 1, 2))}))
    n_all, n_default = len(everything.load(str(lcb))), len(default.load(str(lcb)))
    assert n_all == 7 and 0 < n_default < n_all  # the shared file: one row dated 2023, outside v5's window
    assert len(narrow.load(str(lcb))) == 0
    assert _windowed("aime24", EvalStage()) == "aime24"
