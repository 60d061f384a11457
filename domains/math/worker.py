"""The math-verify worker process: ``python -m domains.math.worker`` reads JSON ``[gold, pred]`` lines on stdin
and answers ``1`` or ``0`` per line on stdout (see ``domains.math.verify``, which kills it on a timeout)."""

from __future__ import annotations

import json
import logging
import sys


def main() -> None:
    logging.disable(logging.CRITICAL)
    from domains.math.verify import math_verify_equal

    print("ready", flush=True)
    for line in sys.stdin:
        try:
            gold, pred = json.loads(line)
            ok = math_verify_equal(str(gold), str(pred))
        except Exception:  # noqa: BLE001 - a malformed request is a wrong answer
            ok = False
        print("1" if ok else "0", flush=True)


if __name__ == "__main__":
    main()
