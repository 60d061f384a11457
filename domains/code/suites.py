"""Eval suites of this domain (public benchmarks are added in their own modules)."""

from __future__ import annotations

from domains.base import Suite


def suites() -> dict[str, Suite]:
    from domains.code.micro import micro
    from domains.micro_suites import micro_suite

    s = micro_suite("code", micro, 200, "generated list-processing functions from a spec, run against tests in the sandbox")
    return {s.name: s}
