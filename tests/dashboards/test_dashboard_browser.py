"""Open generated pages in headless Chromium: plotly.js must run and draw every figure offline.

Unit tests cannot catch a broken inline script or a template that emits invalid JS; this can.
Screenshots are left in the pytest tmp dir (path printed) for a human to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import synthetic_marts

from pipelines.dashboards import build_dashboards, export_png, trend_figure

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless test needs chromium (apt-get install chromium)"),
]

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--virtual-time-budget=10000", "--enable-logging=stderr", "--v=0",
]


def _chromium(tmp: Path, page: Path, *action: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{page.stem}-{action[0].lstrip('-').split('=')[0]}"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *action, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    measures, equity, trend, dq = synthetic_marts(n_districts=2, n_quarters=6)
    paths = build_dashboards(measures, equity, trend, dq, out / "html", "2025Q2")
    return out, {p.name: p for p in paths}


@pytest.mark.parametrize("name", ["district_011_northland.html", "index.html"])
def test_plotly_renders_every_figure_without_console_errors(pages, name):
    out, paths = pages
    page = paths[name]
    expected = len(re.findall(r'class="plotly-graph-div"', page.read_text(encoding="utf-8")))
    assert expected >= 2
    res = _chromium(out, page, "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    dom = res.stdout
    # each figure drew its plot container and SVG layers
    assert dom.count('class="plot-container plotly"') == expected
    assert len(re.findall(r'<svg class="main-svg"', dom)) >= expected
    errors = [c for c in _console(res.stderr) if re.search(r"error|uncaught|failed", c, re.I)]
    assert errors == []


def test_screenshots_are_written(pages):
    out, paths = pages
    for name in ("district_011_northland.html", "index.html"):
        png = out / f"{Path(name).stem}.png"
        res = _chromium(out, paths[name], f"--screenshot={png}", "--window-size=1400,2000")
        assert res.returncode == 0, res.stderr[-2000:]
        assert png.stat().st_size > 50_000  # a blank page is a few KB
        print(f"screenshot: {png}")


def test_export_png_with_system_chromium(tmp_path, tiny_series):
    fig = trend_figure(tiny_series[0], tiny_series[2]).build()
    written = export_png([fig], [tmp_path / "trend.png"])
    assert written == [tmp_path / "trend.png"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
