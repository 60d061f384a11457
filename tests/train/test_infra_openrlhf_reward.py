"""The OpenRLHF reward file on a sandbox failure: the sample is retried, then marked (score NaN, reward 0,
``infra_failure`` 1) so the launch's dynamic filter drops its group; past the share it stops the run with one
line in ``INFRA_STOP``. Runs in a child process: stopping ends the process (``os._exit``), as it ends the engine
actor inside OpenRLHF."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from harness.recipe import Recipe
from harness.train.openrlhf import launch

CHILD = r'''
import importlib.util, json, os, signal, sys, threading, time
spec = importlib.util.spec_from_file_location("reward_func", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
label = sys.argv[2]
prompt = "<|im_start|>user\nadd<|im_end|>\n<|im_start|>assistant\n"
slow = "```python\nimport sys, time\na, b = map(int, sys.stdin.read().split())\ntime.sleep(1.5)\nprint(a + b)\n```"
out = m.reward_func([prompt + slow.replace("1.5", "0") + "<|im_end|>"], [prompt], [label])
print("OK", json.dumps({"reward": out["rewards"].tolist(), "score": out["scores"].tolist(),
                        "infra": out["extra_logs"]["infra_failure"].tolist()}), flush=True)

def kill():
    time.sleep(0.6)
    import harness.sandbox.bwrap as bw
    bw.bwrap_path = lambda: None  # from now on no sandbox can start
    for w in list(m._state["sandbox"]._all):
        for pid in w.host_pids()[1:2]:
            os.kill(pid, signal.SIGKILL)

threading.Thread(target=kill, daemon=True).start()
for i in range(3):
    out = m.reward_func([prompt + slow + "<|im_end|>"], [prompt], [label])
    print("GOT", json.dumps({"reward": out["rewards"].tolist(), "score": [str(x) for x in out["scores"].tolist()],
                             "infra": out["extra_logs"]["infra_failure"].tolist()}), flush=True)
'''


def test_infra_failures_are_marked_and_stop_the_run(tmp_path):
    from tests.sandbox.conftest import require

    require("bwrap")
    r = Recipe.model_validate({"name": "inf", "grpo": {"steps": 1, "prompts_per_step": 1, "group_size": 2},
                               "sandbox": {"backend": "bwrap", "workers": 1, "timeout_s": 5, "cpu_s": 5,
                                           "memory_mb": 256, "max_infra_failure_share": 0.5}})
    plan = launch.plan(r, "grpo", "rl-code", tmp_path)
    ex = {"id": "sum", "domain": "code", "messages": [{"role": "user", "content": "add"}],
          "label": {"format": "stdio", "tests": [{"input": "1 2\n", "output": "3\n"}]}, "meta": {}}
    launch.prepare(plan, r, examples={"code": [ex]})
    assert json.loads(plan.reward_file.with_name("reward_config.json").read_text())["samples_per_step"] == 2
    assert "--algo.dynamic_filtering_range" in plan.python_argv
    from harness.train.openrlhf.data import label_json

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    p = subprocess.run([sys.executable, "-c", CHILD, str(plan.reward_file), label_json(ex)], capture_output=True,
                       text=True, timeout=120, env=env)
    lines = p.stdout.splitlines()
    assert lines[0].startswith("OK ") and json.loads(lines[0][3:]) == {"reward": [1.0], "score": [1.0], "infra": [0.0]}
    got = [json.loads(x[4:]) for x in lines if x.startswith("GOT ")]
    assert got == [{"reward": [0.0], "score": ["nan"], "infra": [1.0]}]  # marked, not scored 0; then the stop
    assert p.returncode == 70, p.stderr[-800:]
    stop = plan.reward_file.with_name("INFRA_STOP").read_text()
    assert stop.startswith("2 of the last 2 samples could not be verified after one retry (100% > "
                           "sandbox.max_infra_failure_share 0.5)") and stop.count("\n") == 1
