"""Eval suites of this domain (public benchmarks are added in their own modules)."""

from __future__ import annotations

from domains.base import Suite


def suites() -> dict[str, Suite]:
    from domains.general.micro import micro
    from domains.micro_suites import micro_suite

    s = micro_suite("general", micro, 200, "generated world-fact and category MCQ, answer letter")
    return {s.name: s}
