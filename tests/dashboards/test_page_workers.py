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
