"""Eval suites of this domain (public benchmarks are added in their own modules)."""

from __future__ import annotations

from domains.base import Suite


def suites() -> dict[str, Suite]:
    from domains.instruction_following.micro import micro
    from domains.micro_suites import micro_suite

    s = micro_suite("if", micro, 200, "generated short texts under IFEval constraints, IFEval checkers")
    return {s.name: s}
