"""Eval suites of this domain (public benchmarks are added in their own modules)."""

from __future__ import annotations

from domains.base import Suite


def suites() -> dict[str, Suite]:
    from domains.micro_suites import micro_suite
    from domains.science.micro import micro

    s = micro_suite("science", micro, 300, "generated physics MCQ (laws and units), answer letter")
    return {s.name: s}
