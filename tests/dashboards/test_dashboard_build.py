"""build_dashboards end to end on synthetic marts (no browser)."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest
from conftest import SENTINEL, SENTINEL_RE, measure_row, measures_frame, synthetic_marts
from plotly.offline import get_plotlyjs

from pipelines.dashboards import build_dashboards

AS_OF = "2025Q2"


NOTES = {"amenable_mortality": "27 of 35 conditions"}  # as measures.yaml definition_note


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    measures, equity, trend, dq = synthetic_marts()
    out = tmp_path_factory.mktemp("dash")
    paths = build_dashboards(measures, equity, trend, dq, out, AS_OF,
                             definition_notes=NOTES)
    return out, paths, {p.name: p.read_text(encoding="utf-8") for p in paths}


def _body(html: str) -> str:
    """The page without the inlined library (plotly.js itself contains arbitrary digits)."""
    return html.replace(get_plotlyjs(), "")


def test_writes_one_page_per_district_plus_index(built):
    _, paths, _ = built
    assert [p.name for p in paths] == [
        "district_011_northland.html",
        "district_021_waitemata.html",
        "district_022_auckland.html",
        "district_023_counties-manukau.html",
        "index.html",
    ]


def test_pages_are_self_contained_and_offline(built):
    _, _, pages = built
    for name, html in pages.items():
        assert html.count("plotly.js v") == 1, name  # library inlined exactly once
        body = _body(html)
        assert not re.search(r"<script[^>]+src=", body), name
        assert not re.search(r"<link[^>]+href=", body), name
        assert "@import" not in body and "url(" not in body, name
        assert "cdn.plot.ly" not in body and "fonts.googleapis" not in body, name


def test_index_links_to_every_district_page(built):
    _, paths, pages = built
    index = pages["index.html"]
    for p in paths[:-1]:
        assert f'href="{p.name}"' in index
    for name in pages:
        if name != "index.html":
            assert 'href="index.html"' in pages[name]


def test_district_page_has_every_measure_with_definition_line(built):
    html = _body(built[2]["district_023_counties-manukau.html"])
    for measure_id in ("ash_0_4", "amenable_mortality", "patient_experience"):
        assert f'id="m-{measure_id}"' in html
        assert f'id="trend-023-{measure_id.replace("_", "-")}' in html
    assert "ash-0-4-v1" in html and "crude rate" in html and "per 100,000 population" in html
    assert "data as of" in html.lower() and AS_OF in html
    assert "Inpatient · Communication" in html and "Inpatient · Partnership" in html


def test_incomplete_definition_banner(built):
    html = built[2]["district_011_northland.html"]
    banner = re.search(r'<div class="banner banner-warning".*?</div>', html, re.S).group(0)
    assert "Incomplete definition: 27 of 35 conditions" in banner
    assert 'id="m-amenable_mortality"' in html[: html.index(banner)]
    assert html.count('class="banner banner-warning"') == 1  # only the incomplete measure
    assert "Incomplete definition: 27 of 35 conditions" in built[2]["index.html"]


def test_suppressed_and_withheld_numbers_never_reach_a_page(built):
    for name, html in built[2].items():
        assert not SENTINEL_RE.search(_body(html)), name


def test_withheld_period_and_reason_are_shown(built):
    html = built[2]["district_022_auckland.html"]
    assert "Withheld periods" in html
    assert "<b>Year to Dec 2024</b>: contract rule failed: nmds_dup_event" in html


def test_suppressed_cells_render_as_s_with_footnote():
    end = date(2025, 6, 30)
    m = measures_frame([
        measure_row(period_end=end, group_id="total"),
        measure_row(period_end=end, group_id="pacific", suppressed=True, numerator=3.0,
                    value=SENTINEL, suppression_reason="numerator < 5"),
    ])
    empty_eq, empty_tr = _empty_marts()
    html = _render_one(m, empty_eq, empty_tr)
    row = re.search(r'<tr class="row-suppressed">.*?</tr>', html, re.S).group(0)
    assert re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)[:3] == ["s", "20,000", "s"]
    assert "<b>s</b> = suppressed (numerator &lt; 5)" in html
    assert not SENTINEL_RE.search(_body(html))


def test_a_new_measure_gets_a_section_without_code_changes():
    end = date(2025, 6, 30)
    m = measures_frame([
        measure_row(period_end=end, group_id=g, measure_id="smokefree_6_weeks",
                    measure_name="Babies living in smokefree homes at six weeks", unit="percent",
                    value=62.0, lower_ci=60.0, upper_ci=64.0, direction="higher_is_better",
                    definition_version="smokefree-v1", method="proportion")
        for g in ("maori", "total")
    ])
    html = _render_one(m, *_empty_marts())
    assert 'id="m-smokefree_6_weeks"' in html and "smokefree-v1" in html
    assert "higher is better" in html


def test_dq_panel_only_when_dq_given(tmp_path):
    measures, equity, trend, dq = synthetic_marts(n_districts=1, n_quarters=3)
    with_dq = build_dashboards(measures, equity, trend, dq, tmp_path / "a", AS_OF)
    without = build_dashboards(measures, equity, trend, None, tmp_path / "b", AS_OF)
    a, b = with_dq[0].read_text(encoding="utf-8"), without[0].read_text(encoding="utf-8")
    assert 'id="data-quality"' in a and "nmds_dup_event" in a and "badge-blocked" in a
    assert 'id="data-quality"' not in b


def test_output_is_byte_identical_across_runs(built, tmp_path):
    out, paths, _ = built
    measures, equity, trend, dq = synthetic_marts()
    # shuffled input order must not change the output either
    again = build_dashboards(measures.reverse(), equity.reverse(), trend.reverse(), dq,
                             tmp_path, AS_OF, definition_notes=NOTES)
    assert [p.name for p in again] == [p.name for p in paths]
    for a, b in zip(paths, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_empty_all_string_trend_and_equity_frames_are_accepted(tmp_path):
    """pipelines/measures/{trend,equity}.py return all-String empty frames when nothing qualifies."""
    from conftest import EQUITY_SCHEMA, TREND_SCHEMA

    measures, _, _, _ = synthetic_marts(n_districts=1, n_quarters=2)
    eq = pl.DataFrame(schema=dict.fromkeys(EQUITY_SCHEMA, pl.String))
    tr = pl.DataFrame(schema=dict.fromkeys(TREND_SCHEMA, pl.String))
    paths = build_dashboards(measures, eq, tr, None, tmp_path, AS_OF)
    assert [p.name for p in paths] == ["district_011_northland.html", "index.html"]
    assert "No rate ratios for this period." in paths[1].read_text(encoding="utf-8")


def _empty_marts():
    from conftest import EQUITY_SCHEMA, TREND_SCHEMA, frame

    return frame([], EQUITY_SCHEMA), frame([], TREND_SCHEMA)


def _render_one(m: pl.DataFrame, e: pl.DataFrame, t: pl.DataFrame) -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        paths = build_dashboards(m, e, t, None, Path(d), AS_OF)
        return paths[0].read_text(encoding="utf-8")


def test_measures_follow_the_callers_order(tmp_path):
    from pipelines.dashboards.render import ordered_measures

    assert ordered_measures(["b", "ash_0_4", "a", "z"], ["z", "ash_0_4"]) == ["z", "ash_0_4", "a", "b"]
    measures, equity, trend, dq = synthetic_marts()
    paths = build_dashboards(measures, equity, trend, dq, tmp_path, AS_OF,
                             measure_order=["patient_experience", "ash_0_4"])
    html = paths[0].read_text(encoding="utf-8")
    assert html.index('id="m-patient_experience"') < html.index('id="m-ash_0_4"') < html.index('id="m-amenable_mortality"')
