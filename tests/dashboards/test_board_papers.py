"""Board papers (PDFs) are their own asset: a page that changes loses the PDF printed from its old
text, and `alt_board_papers` prints exactly the pages without one (pipelines/defs/publish.py)."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.dashboards import render
from pipelines.dashboards.pdf import board_paper
from pipelines.defs import publish
from pipelines.defs.resources import Warehouse


def _page(folder, name, text):
    page = folder / name
    render._write(page, text)
    return page


def test_a_changed_page_loses_its_board_paper_and_an_unchanged_one_keeps_it(tmp_path):
    same = _page(tmp_path, "district_011_northland.html", "<p>same</p>")
    changed = _page(tmp_path, "index.html", "<p>2025Q3</p>")
    for page in (same, changed):
        board_paper(page).write_bytes(b"%PDF printed from the first text")
    before = same.stat().st_mtime_ns

    render._write(same, "<p>same</p>")
    render._write(changed, "<p>2025Q4</p>")

    assert board_paper(same).read_bytes() == b"%PDF printed from the first text"
    assert same.stat().st_mtime_ns >= before     # touched: this run wrote it (the run's listing)
    assert not board_paper(changed).exists()
    assert changed.read_text() == "<p>2025Q4</p>"


def _materialise(tmp_path) -> dg.ExecuteInProcessResult:
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"), landing=str(tmp_path / "landing"),
                          dashboards=str(tmp_path / "pages"), exports=str(tmp_path / "exports"))
    return dg.materialize([publish.alt_board_papers], resources={"warehouse": warehouse},
                          instance=dg.DagsterInstance.ephemeral())


def test_the_board_papers_asset_prints_only_the_pages_without_one(tmp_path, monkeypatch):
    pages = tmp_path / "pages"
    pages.mkdir()
    current = _page(pages, "district_011_northland.html", "<p>unchanged</p>")
    board_paper(current).write_bytes(b"%PDF current")
    due = [_page(pages, "district_021_waitemata.html", "<p>new</p>"), _page(pages, "index.html", "<p>new</p>")]
    printed = []

    def fake_print(page, browser=None):
        printed.append(page.name)
        board_paper(page).write_bytes(b"%PDF")
        return board_paper(page)

    monkeypatch.setattr("pipelines.dashboards.pdf.print_pdf", fake_print)
    result = _materialise(tmp_path)
    assert result.success
    assert sorted(printed) == sorted(p.name for p in due)
    meta = result.asset_materializations_for_node("alt_board_papers")[0].metadata
    assert (meta["pages"].value, meta["printed"].value, meta["already_current"].value) == (3, 2, 1)

    printed.clear()
    assert _materialise(tmp_path).success and printed == []   # all current: nothing printed again


def test_the_board_papers_asset_prints_a_real_pdf_with_chromium(tmp_path):
    from pipelines.dashboards.export import find_browser

    if find_browser() is None:
        pytest.fail("no Chromium: `make setup` installs it (the board papers need it)")
    pages = tmp_path / "pages"
    pages.mkdir()
    page = _page(pages, "index.html", "<html><body><h1>Board paper</h1></body></html>")
    assert _materialise(tmp_path).success
    assert board_paper(page).read_bytes()[:5] == b"%PDF-"
