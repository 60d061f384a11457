"""Eval suites of this domain (public benchmarks are added in their own modules)."""

from __future__ import annotations

from domains.base import Suite


def suites() -> dict[str, Suite]:
    from domains.math.micro import micro
    from domains.micro_suites import micro_suite

    s = micro_suite("math", micro, 300, "generated multi-step arithmetic and linear equations, \\boxed{} answers")
    return {s.name: s}
