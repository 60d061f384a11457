"""Offline base: the mirror and suite come from this machine's apt sources (deb822 and one-line formats)."""

from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.sandbox.image import DOCKERFILE_DIR, apt_mirror


def test_mirror_from_deb822(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
    )
    assert apt_mirror(tmp_path) == ("http://mirror.example/debian", "bookworm")


def test_mirror_from_one_line_format(tmp_path):
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb [arch=amd64] http://archive.ubuntu.com/ubuntu jammy main\n"
        "deb http://security.ubuntu.com/ubuntu jammy-security main\n"
    )
    assert apt_mirror(tmp_path) == ("http://archive.ubuntu.com/ubuntu", "jammy")


def test_no_mirror_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no Debian/Ubuntu mirror"):
        apt_mirror(tmp_path)


def test_dockerfile_takes_the_base_as_build_arg():
    text = (DOCKERFILE_DIR / "Dockerfile").read_text()
    assert "ARG BASE=python:3.11-slim" in text and "FROM ${BASE}" in text
