"""District pages rendered by worker processes are the same files, byte for byte, as pages
rendered in one process (pipelines/dashboards/render.py, SLM_PAGE_WORKERS)."""

from __future__ import annotations

from conftest import synthetic_marts
from test_pack_browser import SIX, _quarterly

from pipelines.dashboards import build_dashboards
from pipelines.dashboards.render import page_workers
from pipelines.dashboards.targets import EXAMPLE_TARGETS, load_targets


def test_two_page_workers_write_the_same_pages_as_one(tmp_path):
    measures, equity, trend, dq = synthetic_marts(n_districts=4, n_quarters=14, all_six=True)
    targets = load_targets(EXAMPLE_TARGETS, SIX)
    points = _quarterly(["011", "021", "022", "023", "000"])
    pages = {}
    for workers in (1, 2):
        out = tmp_path / f"workers_{workers}"
        written = build_dashboards(measures, equity, trend, dq, out, "2025Q2", targets=targets,
                                   points=points, workers=workers)
        pages[workers] = {p.name: p.read_bytes() for p in written}
        assert [p.parent for p in written] == [out] * 5
    assert list(pages[1]) == list(pages[2])           # same pages, same order, index last
    assert list(pages[1])[-1] == "index.html"
    for name in pages[1]:
        assert pages[1][name] == pages[2][name], name


def test_never_more_workers_than_pages_or_than_asked(monkeypatch):
    monkeypatch.setenv("SLM_PAGE_WORKERS", "8")
    assert page_workers(1) == 1
    monkeypatch.setenv("SLM_PAGE_WORKERS", "0")
    assert page_workers(20) == 1


def test_a_failing_worker_is_an_error_naming_it_not_a_wait(tmp_path):
    import pytest

    from pipelines.dashboards.page_workers import PageWorkerError, render_in_workers
    from tests.dashboards.page_worker_helpers import FailingInputs

    with pytest.raises(PageWorkerError, match=r"(?s)page worker .*Northland.*failed.*cannot render Northland"):
        render_in_workers(FailingInputs(), [("011", "Northland"), ("021", "Waitematā")], 2,
                          lambda: tmp_path / "index.html")


def test_a_script_without_a_main_guard_still_renders_with_workers(tmp_path):
    """multiprocessing's spawn re-ran such a script in every worker and the pool never returned."""
    import subprocess
    import sys

    from pipelines.config import PROJECT_ROOT

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import sys\n"
        f"sys.path[:0] = [{str(PROJECT_ROOT)!r}, {str(PROJECT_ROOT / 'tests' / 'dashboards')!r}]\n"
        "from conftest import synthetic_marts\n"
        "from pipelines.dashboards import build_dashboards\n"
        "marts = synthetic_marts(n_districts=3, n_quarters=6)\n"
        f"pages = build_dashboards(*marts, {str(tmp_path / 'out')!r}, '2025Q2', workers=2)\n"
        "print(len(pages), 'pages')\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("4 pages")
