"""Test drivers: the program text sent to the sandbox for one check (standard library only inside).

A driver embeds the candidate code and the tests as base64 JSON, reads a per-run nonce from the first
line of its stdin (it is never part of the program text), runs every test in this one process with an
early stop at the first failure, and finally writes ``MIXMERGE-RESULT <nonce> {json}`` to the
original stdout. A program that exits before that line (``os._exit(0)``) cannot produce it.
"""

from __future__ import annotations

import base64
import json

MARK = "MIXMERGE-RESULT"
PROGRESS = "MIXMERGE-PASSED"

# what LiveCodeBench's harness puts in scope before a solution (LeetCode code uses List[int] unimported)
IMPORTS = (
    "from typing import *\nfrom collections import *\nfrom itertools import *\nfrom functools import *\n"
    "from heapq import *\nfrom bisect import *\nfrom math import *\nimport math, heapq, bisect, itertools, "
    "functools, collections, string, re, random, sys, copy, operator, statistics\n"
)

_COMMON = r"""
import base64 as _b64, json as _json, math as _math, os as _os, sys as _sys
_P = _json.loads(_b64.b64decode("@PAYLOAD@").decode("utf-8"))
_NONCE = _sys.stdin.readline().strip()
_OUT = _os.dup(1)
_DIR = _os.getcwd()


def _emit(line):
    _os.write(_OUT, (line + "\n").encode("utf-8"))


def _finish(passed, total, detail):
    _emit("@MARK@ " + _NONCE + " " + _json.dumps({"passed": passed, "total": total, "detail": detail[:300]}))
    _os._exit(0)


def _err(e):
    return type(e).__name__ + (": " + str(e)[:120] if str(e) else "")


def _close(a, b):
    if a == b:
        return True
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return _math.isclose(fa, fb, rel_tol=1e-6, abs_tol=1e-6)


def _same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return _close(a, b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b
"""

_STDIO = r"""

def _lines(s):
    return [ln.split() for ln in s.strip().splitlines() if ln.strip()]


def _match(got, want):
    g, w = _lines(got), _lines(want)
    return len(g) == len(w) and all(len(x) == len(y) and all(_close(a, b) for a, b in zip(x, y)) for x, y in zip(g, w))


def _main():
    tests = _P["tests"]
    try:
        code = compile(_P["prefix"] + _P["code"], "<solution>", "exec")
    except BaseException as e:
        _finish(0, len(tests), "compile: " + _err(e))
    inp, out = _os.path.join(_DIR, ".in"), _os.path.join(_DIR, ".out")
    for i, t in enumerate(tests):
        with open(inp, "w", encoding="utf-8") as f:
            f.write(t["input"])
        for path, fd, flags in ((inp, 0, _os.O_RDONLY), (out, 1, _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC)):
            tmp = _os.open(path, flags, 0o600)
            if tmp != fd:  # the solution may have closed fd 0/1 (open(0) closes it), then open reuses it
                _os.dup2(tmp, fd)
                _os.close(tmp)
        _sys.stdin = open(0, encoding="utf-8", errors="replace", closefd=False)
        _sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
        try:
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
        except SystemExit:
            pass
        except BaseException as e:
            _finish(i, len(tests), "test %d: %s" % (i, _err(e)))
        finally:
            try:
                _sys.stdout.flush()
            except BaseException:
                pass
        with open(out, encoding="utf-8", errors="replace") as f:
            got = f.read()
        if not _match(got, t["output"]):
            _finish(i, len(tests), "test %d: wrong answer: got %r want %r" % (i, got[:60], t["output"][:60]))
        _emit("@PROGRESS@ " + _NONCE + " " + str(i + 1))
    _finish(len(tests), len(tests), "")


_main()
"""

_FUNCTIONAL = r"""

def _args(x):
    if isinstance(x, str):
        return [_json.loads(ln) for ln in x.split("\n") if ln.strip()]
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _norm(x):
    return _json.loads(_json.dumps(x))


def _main():
    import copy

    tests, fn = _P["tests"], _P["fn_name"]
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(_P["prefix"] + _P["code"], "<solution>", "exec"), ns)
    except SystemExit:
        pass
    except BaseException as e:
        _finish(0, len(tests), "load: " + _err(e))
    for i, t in enumerate(tests):
        try:
            target = getattr(ns["Solution"](), fn) if "Solution" in ns else ns[fn]
            want = _json.loads(t["output"]) if isinstance(t["output"], str) else t["output"]
            got = _norm(target(*copy.deepcopy(_args(t["input"]))))
        except BaseException as e:
            _finish(i, len(tests), "test %d: %s" % (i, _err(e)))
        if not _same(got, want):
            _finish(i, len(tests), "test %d: wrong answer: got %s want %s" % (i, str(got)[:60], str(want)[:60]))
        _emit("@PROGRESS@ " + _NONCE + " " + str(i + 1))
    _finish(len(tests), len(tests), "")


_main()
"""

_HUMANEVAL = r"""

def _main():
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(_P["program"], "<solution>", "exec"), ns)
        exec(compile(_P["test"], "<test>", "exec"), ns)
        ns["check"](ns[_P["entry_point"]])
    except SystemExit as e:
        _finish(0, 1, "SystemExit(%r) before the end of the tests" % (e.code,))
    except BaseException as e:
        _finish(0, 1, _err(e))
    _finish(1, 1, "")


_main()
"""

KINDS = {"stdio": _STDIO, "functional": _FUNCTIONAL, "humaneval": _HUMANEVAL}


def render(kind: str, payload: dict) -> str:
    """The driver program for ``kind`` with ``payload`` embedded."""
    blob = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    src = _COMMON + KINDS[kind]
    return src.replace("@PAYLOAD@", blob).replace("@MARK@", MARK).replace("@PROGRESS@", PROGRESS)
