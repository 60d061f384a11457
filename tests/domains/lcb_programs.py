"""Programs for the rows of ../shared/external/benchmarks/livecodebench/lcb_codegen_lite_native.jsonl, written here.

``VARIANTS[question_id]`` is a list of ``(name, code, passes)``: right programs in the styles models write
(``input()``, ``sys.stdin``, ``if __name__ == "__main__"``, ``Solution`` with helpers, a tuple result) and wrong
ones (off by one, wrong case, an extra line, a crash, a string for an int). ``passes`` is what lcb_runner's rules
say. ``CHEATS`` return objects that fake equality: lcb_runner accepts them, we do not (by design).
``completion(code, i)`` wraps code in the forms models produce (``<think>...</think>`` then fenced code).
"""

from __future__ import annotations

_CARDS_OK = [
    ("mismatches", "t = int(input())\nfor _ in range(t):\n    s = input().strip()\n"
                   "    print('YES' if sum(a != b for a, b in zip(s, 'abc')) != 3 else 'NO')\n"),
    ("set", "import sys\n\ndef main():\n    data = sys.stdin.read().split()\n    out = []\n"
            "    for s in data[1:]:\n        out.append('YES' if s in {'abc', 'acb', 'bac', 'cba'} else 'NO')\n"
            "    print('\\n'.join(out))\n\nif __name__ == '__main__':\n    main()\n"),
    ("swaps", "from itertools import combinations\nfor _ in range(int(input())):\n    s = list(input())\n"
              "    ok = s == list('abc')\n    for i, j in combinations(range(3), 2):\n        t = s[:]\n"
              "        t[i], t[j] = t[j], t[i]\n        ok = ok or t == list('abc')\n    print('YES' if ok else 'NO')\n"),
]
_CARDS_BAD = [
    ("lowercase", "for _ in range(int(input())):\n    s = input()\n"
                  "    print('yes' if s in ('abc', 'acb', 'bac', 'cba') else 'no')\n"),
    ("inverted", "for _ in range(int(input())):\n    s = input()\n    print('NO' if s in ('abc', 'acb', 'bac', 'cba') else 'YES')\n"),
    ("one_swap_only", "for _ in range(int(input())):\n    s = input()\n    print('YES' if s in ('acb', 'bac', 'cba') else 'NO')\n"),
    ("crash", "t = int(input())\nfor _ in range(t):\n    s = input()\n    print(['NO', 'YES'][s])\n"),
    ("extra_line", "t = int(input())\nprint(t)\nfor _ in range(t):\n    s = input()\n"
                   "    print('YES' if s in ('abc', 'acb', 'bac', 'cba') else 'NO')\n"),
]

_ZIGZAG_OK = [
    ("flat", "class Solution:\n    def zigzagTraversal(self, grid: List[List[int]]) -> List[int]:\n"
             "        cells = []\n        for i, row in enumerate(grid):\n"
             "            cells.extend(row if i % 2 == 0 else row[::-1])\n        return cells[::2]\n"),
    ("counter_tuple", "class Solution:\n    def zigzagTraversal(self, grid):\n        out, k = [], 0\n"
                      "        for i in range(len(grid)):\n            row = grid[i] if i % 2 == 0 else list(reversed(grid[i]))\n"
                      "            for x in row:\n                if k % 2 == 0:\n                    out.append(x)\n"
                      "                k += 1\n        return tuple(out)\n"),
    ("helper", "def snake(grid):\n    for i, row in enumerate(grid):\n        yield from (row if i % 2 == 0 else row[::-1])\n\n"
               "class Solution:\n    def zigzagTraversal(self, grid: List[List[int]]) -> List[int]:\n"
               "        return [x for j, x in enumerate(snake(grid)) if j % 2 == 0]\n"),
]
_ZIGZAG_BAD = [
    ("no_reverse", "class Solution:\n    def zigzagTraversal(self, grid):\n"
                   "        return [x for row in grid for x in row][::2]\n"),
    ("per_row_skip", "class Solution:\n    def zigzagTraversal(self, grid):\n        out = []\n"
                     "        for i, row in enumerate(grid):\n            r = row if i % 2 == 0 else row[::-1]\n"
                     "            out.extend(r[::2])\n        return out\n"),
    ("odd_cells", "class Solution:\n    def zigzagTraversal(self, grid):\n        cells = []\n"
                  "        for i, row in enumerate(grid):\n            cells.extend(row if i % 2 == 0 else row[::-1])\n"
                  "        return cells[1::2]\n"),
    ("str_result", "class Solution:\n    def zigzagTraversal(self, grid):\n        cells = []\n"
                   "        for i, row in enumerate(grid):\n            cells.extend(row if i % 2 == 0 else row[::-1])\n"
                   "        return str(cells[::2])\n"),
]

_FRUITS_OK = [
    ("used_flags", "class Solution:\n    def numOfUnplacedFruits(self, fruits: List[int], baskets: List[int]) -> int:\n"
                   "        used = [False] * len(baskets)\n        left = 0\n        for f in fruits:\n"
                   "            for j, b in enumerate(baskets):\n                if not used[j] and b >= f:\n"
                   "                    used[j] = True\n                    break\n            else:\n"
                   "                left += 1\n        return left\n"),
    ("pop", "class Solution:\n    def numOfUnplacedFruits(self, fruits, baskets):\n        free = list(baskets)\n"
            "        n = 0\n        for f in fruits:\n            j = next((i for i, b in enumerate(free) if b >= f), None)\n"
            "            if j is None:\n                n += 1\n            else:\n                free.pop(j)\n        return n\n"),
    ("float_count", "class Solution:\n    def numOfUnplacedFruits(self, fruits, baskets):\n        free = list(baskets)\n"
                    "        n = 0.0\n        for f in fruits:\n            for j, b in enumerate(free):\n"
                    "                if b >= f:\n                    del free[j]\n                    break\n"
                    "            else:\n                n += 1\n        return n\n"),  # 1.0 == 1: Python equality
]
_FRUITS_BAD = [
    ("strict_greater", "class Solution:\n    def numOfUnplacedFruits(self, fruits, baskets):\n        free = list(baskets)\n"
                       "        n = 0\n        for f in fruits:\n            for j, b in enumerate(free):\n"
                       "                if b > f:\n                    del free[j]\n                    break\n"
                       "            else:\n                n += 1\n        return n\n"),
    ("placed_count", "class Solution:\n    def numOfUnplacedFruits(self, fruits, baskets):\n        free = list(baskets)\n"
                     "        n = 0\n        for f in fruits:\n            for j, b in enumerate(free):\n"
                     "                if b >= f:\n                    del free[j]\n                    n += 1\n"
                     "                    break\n        return n\n"),
    ("reuse_baskets", "class Solution:\n    def numOfUnplacedFruits(self, fruits, baskets):\n"
                      "        return sum(1 for f in fruits if max(baskets) < f)\n"),
]

_DEGREE_OK = [
    ("enumerate", "class Solution:\n    def reverseDegree(self, s: str) -> int:\n"
                  "        return sum((26 - (ord(c) - ord('a'))) * i for i, c in enumerate(s, 1))\n"),
    ("table", "from string import ascii_lowercase\n\nclass Solution:\n    def reverseDegree(self, s: str) -> int:\n"
              "        rank = {c: 26 - k for k, c in enumerate(ascii_lowercase)}\n        total = 0\n"
              "        for i in range(len(s)):\n            total += rank[s[i]] * (i + 1)\n        return total\n"),
]
_DEGREE_BAD = [
    ("zero_indexed", "class Solution:\n    def reverseDegree(self, s):\n"
                     "        return sum((26 - (ord(c) - 97)) * i for i, c in enumerate(s))\n"),
    ("forward_alphabet", "class Solution:\n    def reverseDegree(self, s):\n"
                         "        return sum((ord(c) - 96) * i for i, c in enumerate(s, 1))\n"),
    ("string_result", "class Solution:\n    def reverseDegree(self, s):\n"
                      "        return str(sum((26 - (ord(c) - 97)) * i for i, c in enumerate(s, 1)))\n"),
    ("off_by_one", "class Solution:\n    def reverseDegree(self, s):\n"
                   "        return 1 + sum((26 - (ord(c) - 97)) * i for i, c in enumerate(s, 1))\n"),
]

_DIGITS_OK = [
    ("loop", "class Solution:\n    def hasSameDigits(self, s: str) -> bool:\n        d = [int(c) for c in s]\n"
             "        while len(d) > 2:\n            d = [(a + b) % 10 for a, b in zip(d, d[1:])]\n        return d[0] == d[1]\n"),
    ("strings", "class Solution:\n    def hasSameDigits(self, s: str) -> bool:\n        while len(s) != 2:\n"
                "            s = ''.join(str((int(s[i]) + int(s[i + 1])) % 10) for i in range(len(s) - 1))\n"
                "        return s[0] == s[1]\n"),
    ("int_truth", "class Solution:\n    def hasSameDigits(self, s):\n        d = list(map(int, s))\n"
                  "        while len(d) > 2:\n            d = [(d[i] + d[i + 1]) % 10 for i in range(len(d) - 1)]\n"
                  "        return 1 if d[0] == d[1] else 0\n"),  # 1 == True: Python equality, as lcb_runner
]
_DIGITS_BAD = [
    ("stops_at_three", "class Solution:\n    def hasSameDigits(self, s):\n        d = [int(c) for c in s]\n"
                       "        while len(d) > 3:\n            d = [(a + b) % 10 for a, b in zip(d, d[1:])]\n"
                       "        return d[0] == d[1]\n"),
    ("no_mod", "class Solution:\n    def hasSameDigits(self, s):\n        d = [int(c) for c in s]\n"
               "        while len(d) > 2:\n            d = [a + b for a, b in zip(d, d[1:])]\n        return d[0] == d[1]\n"),
    ("always_true", "class Solution:\n    def hasSameDigits(self, s):\n        return True\n"),
    ("string_bool", "class Solution:\n    def hasSameDigits(self, s):\n        d = [int(c) for c in s]\n"
                    "        while len(d) > 2:\n            d = [(a + b) % 10 for a, b in zip(d, d[1:])]\n"
                    "        return str(d[0] == d[1]).lower()\n"),
]

_INCREASING_OK = [
    ("all", "n = int(input())\na = list(map(int, input().split()))\n"
            "print('Yes' if all(a[i] < a[i + 1] for i in range(n - 1)) else 'No')\n"),
    ("readline", "import sys\ninput = sys.stdin.readline\nn = int(input())\na = [int(x) for x in input().split()]\n"
                 "ok = True\nfor x, y in zip(a, a[1:]):\n    if x >= y:\n        ok = False\nprint('Yes' if ok else 'No')\n"),
    ("sorted_set", "def solve():\n    n = int(input())\n    a = list(map(int, input().split()))\n"
                   "    return 'Yes' if a == sorted(set(a)) else 'No'\n\nprint(solve())\n"),
]
_INCREASING_BAD = [
    ("non_strict", "n = int(input())\na = list(map(int, input().split()))\n"
                   "print('Yes' if all(a[i] <= a[i + 1] for i in range(n - 1)) else 'No')\n"),
    ("upper", "n = int(input())\na = list(map(int, input().split()))\n"
              "print('YES' if all(a[i] < a[i + 1] for i in range(n - 1)) else 'NO')\n"),
    ("prints_n", "n = int(input())\na = list(map(int, input().split()))\nprint(n)\n"
                 "print('Yes' if all(a[i] < a[i + 1] for i in range(n - 1)) else 'No')\n"),
    ("always_no", "input()\ninput()\nprint('No')\n"),
]


def _table(ok, bad):
    return [(n, c, True) for n, c in ok] + [(n, c, False) for n, c in bad]


VARIANTS: dict[str, list[tuple[str, str, bool]]] = {
    "1873_A": _table(_CARDS_OK, _CARDS_BAD),
    "1873_A_dated_v5": _table(_CARDS_OK, _CARDS_BAD),
    "3708": _table(_ZIGZAG_OK, _ZIGZAG_BAD),
    "3790": _table(_FRUITS_OK, _FRUITS_BAD),
    "3811": _table(_DEGREE_OK, _DEGREE_BAD),
    "3768": _table(_DIGITS_OK, _DIGITS_BAD),
    "abc395_a": _table(_INCREASING_OK, _INCREASING_BAD),
}

_FAKE = "class _A:\n    def __eq__(self, other):\n        return True\n\n    def __ne__(self, other):\n        return False\n\n"
CHEATS: dict[str, str] = {  # question_id -> a program returning an object whose __eq__ is always True
    qid: _FAKE + f"class Solution:\n    def {fn}(self, *args):\n        return _A()\n"
    for qid, fn in (("3708", "zigzagTraversal"), ("3790", "numOfUnplacedFruits"), ("3811", "reverseDegree"),
                    ("3768", "hasSameDigits"))
}

_FORMS = (
    "<think>\nThe constraints are small; simulate directly.\n</think>\n\n```python\n{code}```\n",
    "<think>\nLet me check the sample: ```python\nprint('draft')\n``` no, read all input.\n</think>\n"
    "Here is the solution.\n\n```python\n{code}```\n\nIt runs in linear time.",
    "<think>\nok\n</think>\nFirst an example call:\n```\nsolve()\n```\nThe full program:\n```py\n{code}```",
)


def completion(code: str, i: int = 0) -> str:
    """``code`` as a model writes it: thinking, then prose and fenced blocks, the program in the last one."""
    return _FORMS[i % len(_FORMS)].format(code=code if code.endswith("\n") else code + "\n")


_MUTATIONS = (("<", "<="), (">=", ">"), ("+ 1", "+ 2"), ("% 10", "% 9"), ("'YES'", "'Yes'"), ("==", "!="),
              ("[::2]", "[1::2]"), ("- 1", "- 2"), ("26 -", "27 -"), ("enumerate(s, 1)", "enumerate(s)"),
              ("!= 3", "!= 2"), ("% 2 == 0", "% 2 == 1"), ("> 2", "> 1"), ("'No'", "'NO'"), ("False", "True"))


def mutants() -> list[tuple[str, str, str]]:
    """``(question_id, name, code)``: every gold program with one operator or constant changed, each place
    separately; what they score is for the graders to say (the peer test compares them, it asserts no value)."""
    out = []
    for qid, variants in VARIANTS.items():
        for name, code, passes in variants:
            if not passes:
                continue
            for old, new in _MUTATIONS:
                start = code.find(old)
                while start != -1:
                    out.append((qid, f"{name}:{old}->{new}@{start}", code[:start] + new + code[start + len(old):]))
                    start = code.find(old, start + 1)
    return out
