"""Open the page in headless Debian chromium: screenshot, the table rendered, sorting changes the order."""

import re
import shutil
import subprocess

import pytest

from leaderboard import build

pytestmark = pytest.mark.chromium
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions"]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    if not CHROMIUM:
        pytest.fail("chromium not installed (apt-get install -y chromium)")
    from lb_helpers import write_results

    tmp = tmp_path_factory.mktemp("browser")
    build([write_results(tmp / "results")], tmp / "lb")
    return tmp, tmp / "lb" / "leaderboard.html"


def chromium(tmp, *args):
    prof = tmp / f"profile{len(list(tmp.glob('profile*')))}"
    r = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={prof}", *args], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def row_order(dom: str, table_id: str) -> list[str]:
    table = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', dom, re.S)
    assert table, f"table {table_id} not in the DOM"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), re.S).group(1)
    return re.findall(r'<tr data-key="([^"]+)"', body)


def test_screenshot(page):
    tmp, html = page
    shot = tmp / "shot.png"
    chromium(tmp, f"--screenshot={shot}", "--window-size=1280,1600", html.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a rendered page, not a blank one


def test_table_rendered_and_sorting_changes_order(page):
    tmp, html = page
    default = chromium(tmp, "--dump-dom", html.as_uri())
    assert 'class="orient-benchmarks"' in default  # the script ran and set the layout
    assert row_order(default, "measured-variants") == ["sft", "rl-math", "rl-if"]
    assert row_order(default, "measured-benchmarks") == ["micro-if", "micro-math"]
    asc = chromium(tmp, "--dump-dom", html.as_uri() + "#orient=variants&sort=micro-math&dir=asc")
    desc = chromium(tmp, "--dump-dom", html.as_uri() + "#orient=variants&sort=micro-math&dir=desc")
    assert 'class="orient-variants"' in asc
    assert 'data-sorted="micro-math:asc"' in asc
    assert row_order(asc, "measured-variants") == ["sft", "rl-if", "rl-math"]  # 0 < 25 < 37.5
    assert row_order(desc, "measured-variants") == ["rl-math", "rl-if", "sft"]
    by_avg = chromium(tmp, "--dump-dom", html.as_uri() + "#orient=variants&sort=Average&dir=desc")
    assert row_order(by_avg, "measured-variants")[0] == "rl-if"  # (25 + 80) / 2 is the best average
