"""`mixmerge sandbox check` prints a readable report and its exit code says whether isolation holds."""

from __future__ import annotations

import pytest

from harness.cli import main

from .conftest import BACKENDS, require


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_sandbox_check(backend_name, capsys):
    require(backend_name)
    rc = main(["sandbox", "check", "--sandbox", backend_name])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"backend    : {backend_name}" in out and "result     : OK (10/10 checks hold)" in out
    assert "FAIL" not in out


def test_unknown_backend_is_one_line_error(capsys):
    assert main(["sandbox", "check", "--sandbox", "dokcer"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'docker'?" in err and "Traceback" not in err
