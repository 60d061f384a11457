"""The one OpenRLHF release this backend targets, and its CLI read from the release's own source.

OpenRLHF renamed every flag between releases (0.8 ``--pretrain``/``--remote_rm_url``, 0.11
``--actor.model_name_or_path``/``--reward.remote_url``), so the launch is written against one pinned
release and checked against that release's argparse definitions. ``release_source()`` fetches the
wheel with ``pip download --no-deps`` (no GPU dependencies are installed or imported) into
``~/.cache/mixmerge/`` and ``cli_spec()`` reads the ``add_argument`` calls with ``ast``.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import io
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from harness.errors import UserError

OPENRLHF_VERSION = "0.11.2"
VLLM_VERSION = "0.29.0"  # the release's own `vllm` extra pins this exact version
TORCH_VERSION = "2.13.0"  # what vllm 0.29.0 pins (CUDA 13 wheels)
IMAGE = f"mixmerge-openrlhf:{OPENRLHF_VERSION}"
SFT_MODULE = "openrlhf.cli.train_sft"
GRPO_MODULE = "openrlhf.cli.train_ppo_ray"
CACHE_DIR = Path(os.environ.get("MIXMERGE_CACHE", Path.home() / ".cache" / "mixmerge"))


@dataclass(frozen=True)
class FlagSpec:
    """One ``add_argument`` of the pinned CLI."""

    name: str
    takes_value: bool  # False for store_true / store_false
    nargs: int | str | None = None
    choices: tuple[str, ...] | None = None


def release_source(cache_dir: Path | None = None, version: str = OPENRLHF_VERSION) -> Path:
    """Directory holding the ``openrlhf`` package source of ``version`` (downloaded once, then cached)."""
    root = (cache_dir or CACHE_DIR) / f"openrlhf-{version}"
    pkg = root / "src"
    marker = root / ".unpacked"
    if marker.exists():
        return _package_dir(pkg)
    root.mkdir(parents=True, exist_ok=True)
    wheels = sorted(root.glob(f"openrlhf-{version}-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", f"openrlhf=={version}", "--no-deps", "--only-binary=:all:",
               "--python-version", "3.11", "--platform", "manylinux1_x86_64", "-d", str(root), "-q"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(root.glob(f"openrlhf-{version}-*.whl"))
        if proc.returncode != 0 or not wheels:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise UserError(f"could not download openrlhf=={version} from PyPI ({last}); "
                            f"put its wheel in {root} to work offline")
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extractall(pkg)
    marker.write_text(wheels[0].name + "\n")
    return _package_dir(pkg)


def _package_dir(unpacked: Path) -> Path:
    for cand in (unpacked / "openrlhf", *unpacked.glob("*.data/purelib/openrlhf")):
        if (cand / "cli").is_dir():
            return cand
    raise UserError(f"{unpacked}: no openrlhf/cli package inside the unpacked wheel; delete the folder and retry")


def cli_spec(module: str, source: Path | None = None) -> dict[str, FlagSpec]:
    """Every option of ``module`` (e.g. ``openrlhf.cli.train_ppo_ray``) as declared in the pinned source.

    Handles plain ``parser.add_argument("--x", ...)`` and the release's ``for prefix in ("actor", "critic"):``
    loops that build names with f-strings.
    """
    pkg = source or release_source()
    path = pkg / "cli" / (module.rsplit(".", 1)[-1] + ".py")
    if not path.exists():
        raise UserError(f"{path}: module {module!r} is not part of openrlhf {OPENRLHF_VERSION}")
    tree = ast.parse(path.read_text(), filename=str(path))
    specs: dict[str, FlagSpec] = {}
    _collect(tree, {}, specs)
    return specs


def _collect(node: ast.AST, env: dict[str, str], out: dict[str, FlagSpec]) -> None:
    if isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Tuple | ast.List):
        values = [e.value for e in node.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        for v in values:
            for stmt in node.body:
                _collect(stmt, {**env, node.target.id: v}, out)
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument":
        names = [n for n in (_string(a, env) for a in node.args) if n and n.startswith("-")]
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        action = kw.get("action")
        flag_only = isinstance(action, ast.Constant) and action.value in ("store_true", "store_false")
        nargs = kw["nargs"].value if isinstance(kw.get("nargs"), ast.Constant) else None
        choices = None
        if isinstance(kw.get("choices"), ast.List | ast.Tuple):
            choices = tuple(str(e.value) for e in kw["choices"].elts if isinstance(e, ast.Constant))
        for n in names:
            out[n] = FlagSpec(n, not flag_only, nargs, choices)
    for child in ast.iter_child_nodes(node):
        _collect(child, env, out)


def _string(node: ast.AST, env: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            elif isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name) and v.value.id in env:
                parts.append(env[v.value.id])
            else:
                return None
        return "".join(parts)
    return None


def check_argv(argv: list[str], spec: dict[str, FlagSpec]) -> list[str]:
    """Problems with ``argv`` (the flags after ``-m module``) against the pinned CLI; empty when it parses."""
    problems: list[str] = []
    i = 0
    while i < len(argv):
        tok = argv[i]
        if not tok.startswith("--"):
            problems.append(f"stray value {tok!r} (no flag before it)")
            i += 1
            continue
        flag = spec.get(tok)
        values = []
        j = i + 1
        while j < len(argv) and not argv[j].startswith("--"):
            values.append(argv[j])
            j += 1
        if flag is None:
            problems.append(f"{tok}: not an option of openrlhf {OPENRLHF_VERSION}")
        elif not flag.takes_value and values:
            problems.append(f"{tok}: a switch in openrlhf {OPENRLHF_VERSION}, given values {values}")
        elif flag.takes_value:
            want = flag.nargs if isinstance(flag.nargs, int) else (None if flag.nargs in ("*", "+") else 1)
            if want is not None and len(values) != want:
                problems.append(f"{tok}: takes {want} value(s), given {values}")
            if flag.nargs == "+" and not values:
                problems.append(f"{tok}: takes at least one value")
            if flag.choices and any(v not in flag.choices for v in values):
                problems.append(f"{tok}: {values} not among {list(flag.choices)}")
        i = j
    return problems


STDLIB_IMPORTS = {"argparse", "os", "sys", "math", "json", "datetime"}


def release_parse(module: str, argv: list[str], source: Path | None = None) -> SimpleNamespace:
    """Parse ``argv`` with the pinned release's own parser *and* its post-parse checks, without GPU imports.

    Runs the ``if __name__ == "__main__":`` block of ``openrlhf/cli/<module>.py`` (the ``add_argument`` calls,
    ``parse_args``, ``hierarchize`` and the release's asserts / fix-ups) with ``train(args)`` replaced by a
    capture; only its standard-library imports are executed. Returns the hierarchical ``args`` the release
    would train with; an argument the release rejects raises ``ValueError`` with argparse's message, a failed
    release check raises ``AssertionError`` with the release's message.
    """
    pkg = source or release_source()
    path = pkg / "cli" / (module.rsplit(".", 1)[-1] + ".py")
    tree = ast.parse(path.read_text(), filename=str(path))
    main = next((n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)), None)
    if main is None:
        raise UserError(f"{path}: no __main__ block to read the CLI from")
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
           and all((a.name if isinstance(n, ast.Import) else (n.module or "")).split(".")[0] in STDLIB_IMPORTS
                   for a in n.names)]
    body = [n for n in main.body
            if not (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("openrlhf.utils.config"))]
    prog = ast.Module(body=[*top, *body], type_ignores=[])
    captured: list[SimpleNamespace] = []
    config = importlib.util.spec_from_file_location("_openrlhf_config", pkg / "utils" / "config.py")
    cfg_mod = importlib.util.module_from_spec(config)
    config.loader.exec_module(cfg_mod)
    ns = {"__name__": "__release_cli__", "hierarchize": cfg_mod.hierarchize, "train": captured.append}
    real_parse = argparse.ArgumentParser.parse_args

    def parse(self, args=None, namespace=None):
        return real_parse(self, argv if args is None else args, namespace)

    err = io.StringIO()
    argparse.ArgumentParser.parse_args = parse
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            exec(compile(prog, str(path), "exec"), ns)
    except SystemExit as e:
        raise ValueError(err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else str(e)) from None
    finally:
        argparse.ArgumentParser.parse_args = real_parse
    if not captured:
        raise UserError(f"{path}: the __main__ block did not reach train(args)")
    return captured[0]
