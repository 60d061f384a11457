"""Errors a user can cause. The CLI prints them as one line and exits 2 — never a traceback."""

from __future__ import annotations

import difflib


class UserError(Exception):
    """A problem the user can fix (bad recipe, missing file, unknown name). Exit code 2."""

    exit_code = 2


class NotBuiltYet(UserError):
    """A command or stage whose capability does not exist yet. Exit code 3."""

    exit_code = 3


def unknown(kind: str, name: str, available: list[str] | tuple[str, ...]) -> UserError:
    """'unknown suite 'aime42'; did you mean 'aime24'? available: ...' (lm-eval style)."""
    close = difflib.get_close_matches(name, list(available), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return UserError(f"unknown {kind} {name!r}{hint} available: {', '.join(sorted(available))}")
