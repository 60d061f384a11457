"""Fail when the suite skipped a test that .ci/allowed-skips.txt does not allow.

    python .ci/skips.py JUNIT_XML [ALLOW_LIST]

Reads pytest's junit xml (``--junitxml``), prints the allow-list, every skip and whether it is allowed.
Exit 1 on a skip that no line allows, 2 on an unreadable xml / allow-list line.
"""

from __future__ import annotations

import fnmatch
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def allow_list(path: Path) -> list[tuple[str, str]]:
    rules = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if " :: " not in line:
            raise SystemExit(f"{path}:{n}: expected '<test id glob> :: <text in the reason>', got {line!r}")
        glob, reason = line.split(" :: ", 1)
        rules.append((glob.strip(), reason.strip()))
    return rules


def skips(junit: Path) -> list[tuple[str, str]]:
    """(test id as tests/dir/file.py::name, reason) of every skipped test case."""
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        sk = case.find("skipped")
        if sk is None:
            continue
        name, why = case.get("name"), sk.get("message", "")
        if not case.get("classname") and not case.get("file"):  # a whole module skipped at collection
            file, why = name.replace(".", "/") + ".py", f"{why}: {sk.text or ''}"
            name = "<module>"
        else:
            file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
        out.append((f"{file}::{name}", why))
    return out


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    junit = Path(argv[0])
    rules = allow_list(Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("allowed-skips.txt"))
    try:
        found = skips(junit)
    except (OSError, ET.ParseError) as e:
        print(f"ci: cannot read the junit xml {junit}: {e}", file=sys.stderr)
        return 2
    print("ci: allowed skips: " + ("; ".join(f"{g} ({r})" for g, r in rules) or "none"))
    bad = [(t, why) for t, why in found if not any(fnmatch.fnmatch(t, g) and r in why for g, r in rules)]
    for t, why in found:
        print(f"ci: skipped {'(allowed) ' if (t, why) not in bad else '(NOT ALLOWED) '}{t}: {why}")
    if bad:
        print(f"ci: {len(bad)} test(s) skipped that the allow-list does not allow: a skip hides a failure in CI")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
