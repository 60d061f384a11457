"""Stand-in stage functions for pipeline tests: they count their runs in a ledger file and can be told to hang,
sleep or fail — by environment variables, or by the JSON file ``$FAKE_CONTROL`` (read at each call, so a Ray
worker started before the test set its variables sees them too)."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

from harness.pipeline import stages


def control(key: str) -> str | None:
    path = os.environ.get("FAKE_CONTROL")
    if path and Path(path).exists():
        value = json.loads(Path(path).read_text()).get(key)
        if value is not None:
            return str(value)
    return os.environ.get(key)


def fake(ctx):
    ledger = Path(control("FAKE_LEDGER"))
    with ledger.open("a") as f:
        f.write(ctx.name + "\n")
    ctx.log.info("fake stage %s in pid %d", ctx.name, os.getpid())
    (ctx.out / "part1.txt").write_text("half")
    if control("FAKE_HANG") == ctx.name:
        Path(control("FAKE_HANG_FLAG")).write_text("hanging")
        time.sleep(600)
    if ctx.kind in (control("FAKE_SLEEP_KINDS") or "").split(","):
        time.sleep(float(control("FAKE_SLEEP") or 0))
    upstream = {d: (p / "out.json").read_text() for d, p in ctx.inputs.items()}
    (ctx.out / "out.json").write_text(json.dumps({"stage": ctx.name, "upstream": sorted(upstream)}))
    if control("FAKE_FAIL") == ctx.name:
        raise RuntimeError("boom")
    return {"metrics": {"x": 1}}


def install() -> None:
    """Point every stage kind at `fake`."""
    for kind, spec in list(stages.KINDS.items()):
        stages.KINDS[kind] = dataclasses.replace(spec, fn=f"{__name__}:fake")


if __name__ == "__main__":  # used by the kill -9 tests: python fake_stages.py RUNS_DIR [UNTIL [EXECUTOR]]
    import sys

    import fake_stages  # by module name, not __main__: Ray workers import the stage function by its name

    from harness.pipeline.runner import Runner
    from harness.recipe import Recipe

    fake_stages.install()
    until = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-" else None
    executor = sys.argv[3] if len(sys.argv) > 3 else "local"
    Runner(Recipe(name="t"), Path(sys.argv[1]), echo=lambda *a: None).run(until=until, executor=executor)
