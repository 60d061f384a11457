"""Stand-in stage functions for pipeline tests: they count their runs in a ledger file and can be told to hang."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

from harness.pipeline import stages


def fake(ctx):
    ledger = Path(os.environ["FAKE_LEDGER"])
    with ledger.open("a") as f:
        f.write(ctx.name + "\n")
    (ctx.out / "part1.txt").write_text("half")
    if os.environ.get("FAKE_HANG") == ctx.name:
        Path(os.environ["FAKE_HANG_FLAG"]).write_text("hanging")
        time.sleep(600)
    upstream = {d: (p / "out.json").read_text() for d, p in ctx.inputs.items()}
    (ctx.out / "out.json").write_text(json.dumps({"stage": ctx.name, "upstream": sorted(upstream)}))
    if os.environ.get("FAKE_FAIL") == ctx.name:
        raise RuntimeError("boom")
    return {"metrics": {"x": 1}}


def install() -> None:
    """Point every stage kind at `fake`."""
    for kind, spec in list(stages.KINDS.items()):
        stages.KINDS[kind] = dataclasses.replace(spec, fn=f"{__name__}:fake")


if __name__ == "__main__":  # used by the kill -9 test: python fake_stages.py RUNS_DIR
    import sys

    from harness.pipeline.runner import Runner
    from harness.recipe import Recipe

    install()
    Runner(Recipe(name="t"), Path(sys.argv[1]), echo=lambda *a: None).run(until=sys.argv[2] if len(sys.argv) > 2 else None)
