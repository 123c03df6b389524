"""The hook into the district page: the drafted paragraph (labelled a draft), an override instead
of it (dated), and a waterfall chart of the latest change."""

from __future__ import annotations

import polars as pl

from pipelines.commentary import apply_overrides, build_facts, draft_paragraphs, read_overrides
from pipelines.commentary.decomposition import decompose
from pipelines.dashboards import build_dashboards
from tests.commentary.builders import DEC24, DEC25, equity, measure_row, measures, trend
from tests.commentary.test_decomposition import HAND, MULTIPLIERS


def test_district_page_shows_the_draft_or_the_override_and_the_waterfall(tmp_path):
    m = measures([measure_row("011", DEC24, 1000.0, numerator=15, denominator=1500),
                  measure_row("011", DEC25, 1562.5, numerator=25, denominator=1600),
                  measure_row("023", DEC25, 800.0), measure_row("000", DEC25, 1500.0)])
    e, t = equity([]), trend([])
    drafts = draft_paragraphs(build_facts(m, e, t))
    folder = tmp_path / "overrides"
    folder.mkdir()
    (folder / "023.md").write_text("## ash_0_4\nDate: 2026-02-14\nOur words & <b>ours</b>.\n", encoding="utf-8")
    shown = apply_overrides(drafts, read_overrides(folder))
    parts = decompose(HAND.filter(pl.col("measure_id") == "ash_0_4"), MULTIPLIERS)
    pages = build_dashboards(m, e, t, None, tmp_path / "out", "December 2025", commentary=shown,
                             decomposition=parts)
    northland = next(p for p in pages if p.name.startswith("district_011")).read_text(encoding="utf-8")
    assert "Draft commentary, generated from the statistics: check before use" in northland
    assert "In the year to Dec 2025 the rate was 1,562.5 per 100,000 population" in northland
    assert 'id="waterfall-011-ash-0-4-ethnic-group"' in northland
    assert 'id="waterfall-011-ash-0-4-condition-group"' in northland
    counties = next(p for p in pages if p.name.startswith("district_023")).read_text(encoding="utf-8")
    assert "Analyst commentary, 14 February 2026" in counties
    assert "Our words &amp; &lt;b&gt;ours&lt;/b&gt;." in counties        # escaped, never raw HTML
    assert "In the year to Dec 2025 the rate was 800.0" not in counties   # the override replaces the draft
    # the first page's summary table carries each measure's paragraph under its row
    summary = northland.split('id="summary"')[1].split("</section>")[0]
    assert 'class="pack-commentary commentary-draft"' in summary
    assert "In the year to Dec 2025 the rate was 1,562.5 per 100,000 population" in summary
    first_counties = counties.split('id="summary"')[1].split("</section>")[0]
    assert "Our words &amp; &lt;b&gt;ours&lt;/b&gt;." in first_counties
    # without commentary the page is as before
    plain = build_dashboards(m, e, t, None, tmp_path / "plain", "December 2025")
    plain_page = next(p for p in plain if p.name.startswith("district_011")).read_text(encoding="utf-8")
    assert 'class="note commentary' not in plain_page and '<tr class="pack-commentary' not in plain_page
