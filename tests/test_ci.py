"""The CI rule: one definition of "in CI" (tests/need.py), and .ci/skips.py failing CI on a skip not allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from need import external_file, in_ci, need

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("TRUE", True), ("yes", True),
                                            ("0", False), ("false", False), ("", False), ("no", False)])
def test_in_ci_one_rule(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_missing_need_fails_in_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI needs the thing"):
        need("the thing")
    need(None)  # a met need does nothing


def test_missing_need_skips_elsewhere(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "0")
    with pytest.raises(pytest.skip.Exception, match="missing: the thing"):
        need("the thing")
    monkeypatch.setenv("MIXMERGE_EXTERNAL", str(tmp_path))  # external files follow MIXMERGE_EXTERNAL
    (tmp_path / "x.txt").write_text("x")
    assert external_file("x.txt") == tmp_path / "x.txt"
    with pytest.raises(pytest.skip.Exception, match=str(tmp_path / "absent.txt")):
        external_file("absent.txt")


def _suite(tmp_path: Path) -> Path:
    """A small real pytest run with one allowed-looking and one hiding skip; returns its junit xml."""
    (tmp_path / "tests" / "pkg").mkdir(parents=True)
    (tmp_path / "tests" / "pkg" / "test_a.py").write_text(
        "import pytest\n"
        "def test_runs():\n    pass\n"
        "def test_vllm():\n    pytest.skip('vllm not installed here; run `nox -s vllm`')\n"
        "@pytest.mark.parametrize('b', ['docker'])\n"
        "def test_engine(b):\n    pytest.skip('missing: a Docker engine')\n")
    junit = tmp_path / "junit.xml"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
                        "tests"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return junit


def _skips(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / ".ci" / "skips.py"), *map(str, args)],
                          capture_output=True, text=True)


def test_ci_fails_on_a_skip_not_allowed(tmp_path):
    junit = _suite(tmp_path)
    allow = tmp_path / "allow.txt"
    allow.write_text("# comment\ntests/pkg/* :: vllm not installed here\n")
    r = _skips(junit, allow)
    assert r.returncode == 1, r.stdout
    assert "(NOT ALLOWED) tests/pkg/test_a.py::test_engine[docker]: missing: a Docker engine" in r.stdout
    assert "(allowed) tests/pkg/test_a.py::test_vllm" in r.stdout
    assert "allowed skips: tests/pkg/* (vllm not installed here)" in r.stdout  # the allow-list is printed
    allow.write_text(allow.read_text() + "tests/pkg/test_a.py::test_engine* :: Docker engine\n")
    assert _skips(junit, allow).returncode == 0
    allow.write_text("tests/pkg/* :: some other reason\n")  # the reason must match too, not only the file
    assert _skips(junit, allow).returncode == 1


def test_ci_skips_bad_input(tmp_path):
    junit = _suite(tmp_path)
    bad = tmp_path / "allow.txt"
    bad.write_text("ok :: fine\nno separator here\n")
    r = _skips(junit, bad)
    assert r.returncode != 0 and f"{bad}:2: expected" in r.stderr
    r = _skips(tmp_path / "absent.xml", ROOT / ".ci" / "allowed-skips.txt")
    assert r.returncode == 2 and "cannot read the junit xml" in r.stderr


def test_the_repo_allow_list_is_short_and_parses():
    r = _skips(ROOT / "tests" / "no-such.xml")
    assert r.returncode == 2  # parsed the default allow-list, then failed on the xml
    rules = [ln for ln in (ROOT / ".ci" / "allowed-skips.txt").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert 0 < len(rules) <= 5


def test_a_module_skipped_at_collection_is_judged_by_its_file_and_reason(tmp_path):
    (tmp_path / "tests" / "pkg").mkdir(parents=True)
    (tmp_path / "tests" / "pkg" / "test_m.py").write_text(
        "import pytest\npytest.importorskip('no_such_module_here', reason='lives in nox -s elsewhere')\n"
        "def test_x():\n    pass\n")
    junit = tmp_path / "junit.xml"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", "tests"],
                   cwd=tmp_path, capture_output=True, text=True)
    allow = tmp_path / "allow.txt"
    allow.write_text("tests/pkg/test_m.py::* :: nox -s elsewhere\n")
    r = _skips(junit, allow)
    assert r.returncode == 0 and "(allowed) tests/pkg/test_m.py::<module>" in r.stdout, r.stdout
    allow.write_text("tests/pkg/test_m.py::* :: another reason\n")
    assert _skips(junit, allow).returncode == 1
