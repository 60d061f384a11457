"""Test drivers: the program text sent to the sandbox for one check (standard library only inside).

A driver embeds the candidate code and the tests as base64 JSON, reads a per-run nonce from the first
line of its stdin (it is never part of the program text), runs every test in this one process with an
early stop at the first failure, and finally writes ``MIXMERGE-RESULT <nonce> {json}`` to the
original stdout. A program that exits before that line (``os._exit(0)``) cannot produce it.

LiveCodeBench's rules, as ``lcb_runner`` (LiveCodeBench/LiveCodeBench at 28fef95, ``lcb_runner/evaluation/``)
applies them; ``T:n`` is ``testing_util.py`` line n, ``C:n`` ``compute_code_generation_metrics.py`` line n:
- the import prefix is T:27's (``IMPORTS`` below, ``from builtins import *`` last among the star imports so
  ``pow(a, b, m)`` is the builtin, ``sys.setrecursionlimit(50000)``), and ``sys.set_int_max_str_digits(50000)``
  as C:7 sets it in the grading process. The prefix is compiled apart from the candidate's code, so a
  SyntaxError or traceback names the candidate's own line numbers.
- tests run in order (public, then private), stopping at the first failure (T:252-306, T:331-425);
  each test (and the call-based module load, T:192-193) gets its own time limit (``--timeout``, default 6 s,
  ``runner/parser.py:93``); the whole sample's wall limit is set by ``checks.py``.
- stdio (T:372-422, ``get_stripped_lines`` T:222-226): both outputs stripped, split on "\\n", each line
  stripped; line counts must be equal; each line is string-equal, or else both lines' whitespace tokens all
  parse as ``Decimal`` and the two lists are equal -- exact, no tolerance.
- call-based (T:229-268): every line of the input is ``json.loads``-ed as one positional argument, the
  expected output is ``json.loads``-ed, a tuple result becomes a list, then ``prediction == expected``;
  ``Solution()`` is made once when the code contains ``class Solution`` (T:197-203).
- programs run as a module named ``tmp_sol`` (T:195); a stdio program's final top-level
  ``if __name__ == '__main__':`` is replaced by its body (T:106-119). Unlike lcb_runner, a stdio program is not
  wrapped in a function (T:122-151), so its top-level names stay globals (``global n`` works).
Beyond lcb_runner (and HumanEval's ``check``): a result is compared only when it is made of plain built-in
values (exactly int, float, str, bool, None, list, tuple, dict, set, recursively); anything else (an object
whose ``__eq__`` always answers True) fails the test with the reason in the detail.
"""

from __future__ import annotations

import base64
import json

MARK = "MIXMERGE-RESULT"
PROGRESS = "MIXMERGE-PASSED"

# testing_util.py:27, in its order: the star imports (builtins after math/io/sys so pow/open are the
# builtins again), the plain imports, the recursion limit
_STAR = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random", "statistics",
         "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing")
_PLAIN_IMPORTS = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
                  "statistics", "itertools", "functools", "operator", "io", "sys", "json")
IMPORTS = ("".join(f"from {m} import *\n" for m in _STAR) + "".join(f"import {m}\n" for m in _PLAIN_IMPORTS)
           + "sys.setrecursionlimit(50000)\n")

_COMMON = r"""
import base64 as _b64, json as _json, os as _os, signal as _signal, sys as _sys
if hasattr(_sys, "set_int_max_str_digits"):
    _sys.set_int_max_str_digits(50000)
_P = _json.loads(_b64.b64decode("@PAYLOAD@").decode("utf-8"))
_NONCE = _sys.stdin.readline().strip()
_OUT = _os.dup(1)
_DIR = _os.getcwd()
_type, _id, _isinstance = type, id, isinstance
_PLAIN = frozenset((int, float, str, bool, type(None), list, tuple, dict, set))


def _emit(line):
    _os.write(_OUT, (line + "\n").encode("utf-8"))


def _finish(passed, total, detail):
    _emit("@MARK@ " + _NONCE + " " + _json.dumps({"passed": passed, "total": total, "detail": detail[:300]}))
    _os._exit(0)


def _err(e):
    where = ""
    tb = e.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<solution>":
            where = " (line %d)" % tb.tb_lineno
        tb = tb.tb_next
    return type(e).__name__ + (": " + str(e)[:120] if str(e) else "") + where


def _foreign(x):
    # the first value in x that is not a plain built-in (type() ignores a faked __class__), else None
    stack, seen = [x], set()
    while stack:
        v = stack.pop()
        t = _type(v)
        if t not in _PLAIN:
            return t.__qualname__
        if t is list or t is tuple or t is set or t is dict:
            if _id(v) in seen:
                continue
            seen.add(_id(v))
            stack.extend(v.keys() if t is dict else v)
            if t is dict:
                stack.extend(v.values())
    return None


def _rejected(x):
    t = _foreign(x)
    return None if t is None else "result rejected: a %s is not a plain built-in value" % t


class _TimeLimit(BaseException):
    pass


def _alarm(signum, frame):
    raise _TimeLimit()


def _arm(seconds):
    _signal.signal(_signal.SIGALRM, _alarm)
    _signal.setitimer(_signal.ITIMER_REAL, seconds)


def _disarm():
    _signal.setitimer(_signal.ITIMER_REAL, 0)


def _compile(n):
    try:
        return compile(_P["prefix"], "<prefix>", "exec"), compile(_P["code"], "<solution>", "exec")
    except BaseException as e:
        _finish(0, n, "compile: " + _err(e))
"""

_STDIO = r"""

def _lines(s):
    return [ln.strip() for ln in s.strip().split("\n")]  # testing_util.py:222-226


def _decimals(line):
    from decimal import Decimal

    try:
        return [Decimal(tok) for tok in line.split()]
    except Exception:
        return None


def _match(got, want):
    # testing_util.py:384-422: equal line counts; each line string-equal, or all tokens equal as Decimal
    g, w = _lines(got), _lines(want)
    if len(g) != len(w):
        return "mismatched output length"
    for i, (a, b) in enumerate(zip(g, w)):
        if a == b:
            continue
        da, db = _decimals(a), _decimals(b)
        if da is None or db is None or da != db:
            return "line %d: %r != %r" % (i, a[:60], b[:60])
    return None


def _script(code):
    # testing_util.py:106-119 (clean_if_name): a final top-level `if __name__ == '__main__':` is replaced by its
    # body, and the program runs in a module named tmp_sol (T:195); done on the tree so line numbers stay
    import ast

    tree = ast.parse(_P["code"], "<solution>")
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
        tree.body[-1:] = last.body
        return compile(tree, "<solution>", "exec")
    return code


def _main():
    tests, limit = _P["tests"], _P["timeout_s"]
    prefix, code = _compile(len(tests))
    code = _script(code)
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
        ns = {"__name__": "tmp_sol", "__builtins__": __builtins__}
        try:
            _arm(limit)
            exec(prefix, ns)
            exec(code, ns)
        except SystemExit:
            pass
        except _TimeLimit:
            _finish(i, len(tests), "test %d: time limit exceeded (%g s a test)" % (i, limit))
        except BaseException as e:
            _finish(i, len(tests), "test %d: %s" % (i, _err(e)))
        finally:
            _disarm()
            try:
                _sys.stdout.flush()
            except BaseException:
                pass
        with open(out, encoding="utf-8", errors="replace") as f:
            got = f.read()
        why = _match(got, t["output"])
        if why:
            _finish(i, len(tests), "test %d: wrong answer: %s" % (i, why))
        _emit("@PROGRESS@ " + _NONCE + " " + str(i + 1))
    _finish(len(tests), len(tests), "")


_main()
"""

_FUNCTIONAL = r"""

def _args(x):
    if _isinstance(x, str):  # testing_util.py:245-246: each line json.loads-ed, one positional argument
        return [_json.loads(ln) for ln in x.split("\n")]
    return list(x) if _isinstance(x, (list, tuple)) else [x]


def _main():
    tests, fn, limit = _P["tests"], _P["fn_name"], _P["timeout_s"]
    prefix, code = _compile(len(tests))
    ns = {"__name__": "tmp_sol", "__builtins__": __builtins__}  # a module, as testing_util.py:195 makes it
    try:
        _arm(limit)  # testing_util.py:192-193: the module load has the per-test limit too
        exec(prefix, ns)
        exec(code, ns)
        owner = ns["Solution"]() if "class Solution" in _P["code"] else None  # testing_util.py:197-203
    except _TimeLimit:
        _finish(0, len(tests), "load: time limit exceeded (%g s)" % limit)
    except BaseException as e:
        _finish(0, len(tests), "load: " + _err(e))
    finally:
        _disarm()
    target = getattr(owner, fn, None) if owner is not None else ns.get(fn)
    if not callable(target):
        _finish(0, len(tests), "no function %r in the code" % fn)
    for i, t in enumerate(tests):
        try:
            args = _args(t["input"])
            want = _json.loads(t["output"]) if _isinstance(t["output"], str) else t["output"]
        except ValueError as e:
            _finish(i, len(tests), "test %d: the test's input/output is not JSON: %s" % (i, e))
        try:
            _arm(limit)
            got = target(*args)
            _disarm()
            why = _rejected(got)
            if why is None:
                if _type(got) is tuple:  # testing_util.py:265-266
                    got = list(got)
                ok = got == want  # testing_util.py:268; both sides plain built-ins here
        except _TimeLimit:
            _finish(i, len(tests), "test %d: time limit exceeded (%g s a test)" % (i, limit))
        except BaseException as e:
            _finish(i, len(tests), "test %d: %s" % (i, _err(e)))
        finally:
            _disarm()
        if why:
            _finish(i, len(tests), "test %d: %s" % (i, why))
        if not ok:
            _finish(i, len(tests), "test %d: wrong answer: got %s want %s" % (i, str(got)[:60], str(want)[:60]))
        _emit("@PROGRESS@ " + _NONCE + " " + str(i + 1))
    _finish(len(tests), len(tests), "")


_main()
"""

_HUMANEVAL = r"""

_WHY = []


def _guard(fn):
    # check(candidate) sees a wrapper: a result that is not plain built-in values is recorded and raises
    def candidate(*args, **kwargs):
        got = fn(*args, **kwargs)
        why = _rejected(got)
        if why:
            _WHY.append(why)
            raise AssertionError(why)
        return got

    return candidate


def _main():
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(_P["program"], "<solution>", "exec"), ns)
        exec(compile(_P["test"], "<test>", "exec"), ns)
        ns["check"](_guard(ns[_P["entry_point"]]))
    except SystemExit as e:
        _finish(0, 1, "SystemExit(%r) before the end of the tests" % (e.code,))
    except BaseException as e:
        _finish(0, 1, _WHY[0] if _WHY else _err(e))
    if _WHY:  # check() swallowed the rejection: still a failure
        _finish(0, 1, _WHY[0])
    _finish(1, 1, "")


_main()
"""

KINDS = {"stdio": _STDIO, "functional": _FUNCTIONAL, "humaneval": _HUMANEVAL}


def render(kind: str, payload: dict) -> str:
    """The driver program for ``kind`` with ``payload`` embedded."""
    blob = base64.b64encode(json.dumps(payload).encode("utf-8")).decode("ascii")
    src = _COMMON + KINDS[kind]
    return src.replace("@PAYLOAD@", blob).replace("@MARK@", MARK).replace("@PROGRESS@", PROGRESS)
