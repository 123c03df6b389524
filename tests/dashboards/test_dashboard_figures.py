"""Figure builders on tiny hand-made frames."""

from __future__ import annotations

import math
from datetime import date

import polars as pl
import pytest
from conftest import (
    EQUITY_SCHEMA,
    SENTINEL,
    SENTINEL_RE,
    TREND_SCHEMA,
    frame,
    measure_row,
    measures_frame,
    quarter_ends,
)

from pipelines.dashboards.comparisons import compare_with_benchmark
from pipelines.dashboards.figures import equity_figure, forest_figure, trend_figure
from pipelines.dashboards.frames import normalise_measures
from pipelines.dashboards.render import figure_html

LINE_NAMES = ["Māori", "Pacific", "non-Māori non-Pacific", "Total", "Asian", "European/Other"]


def _lines(fig):
    return [t for t in fig.data if t.mode == "lines+markers"]


def _all_y(fig):
    return [y for t in fig.data for y in (t.y or ()) if y is not None]


def _all_x(fig):
    return [x for t in fig.data for x in (t.x or ()) if x is not None]


def test_trend_has_one_line_and_band_per_group_in_palette_order(tiny_series):
    measures, equity, trend = tiny_series
    fig = trend_figure(measures, trend).build()
    assert [t.name for t in _lines(fig)] == LINE_NAMES
    bands = [t for t in fig.data if t.fill == "toself"]
    assert [t.legendgroup for t in bands] == [t.legendgroup for t in _lines(fig)]
    spc = [t for t in fig.data if t.marker and t.marker.symbol == "circle-open"]
    assert len(spc) == 1
    assert len(fig.data) == 6 + 6 + 1
    assert fig.layout.yaxis.title.text == "Per 100,000 population"
    assert fig.layout.xaxis.title.text == "Period ending"


def test_trend_optional_groups_start_hidden_with_their_bands(tiny_series):
    fig = trend_figure(tiny_series[0], tiny_series[2]).build()
    visible = {t.legendgroup: t.visible for t in fig.data}
    assert visible["asian"] == "legendonly"
    assert visible["european_other"] == "legendonly"
    assert all(visible[g] is True for g in ("maori", "pacific", "nmnp", "total"))
    for t in fig.data:  # a hidden group's band and rings hide with it
        assert t.visible == visible[t.legendgroup]


def test_trend_ci_band_encloses_the_line(tiny_series):
    measures = tiny_series[0]
    fig = trend_figure(measures).build()
    band = next(t for t in fig.data if t.fill == "toself" and t.legendgroup == "total")
    line = next(t for t in _lines(fig) if t.legendgroup == "total")
    ys = [y for y in line.y if y is not None]
    band_y = [y for y in band.y if y is not None]
    assert min(band_y) < min(ys) and max(band_y) > max(ys)
    # the withheld quarter splits the band into two closed runs (None separator)
    assert list(band.y).count(None) == 1


def test_trend_never_plots_suppressed_or_withheld_values(tiny_series):
    measures, _, trend = tiny_series
    ends = quarter_ends(4)
    fig = trend_figure(measures, trend).build()
    assert SENTINEL not in _all_y(fig)
    assert not any(math.isclose(y, SENTINEL, abs_tol=2) for y in _all_y(fig))
    assert not SENTINEL_RE.search(fig.to_json())
    pacific = next(t for t in _lines(fig) if t.legendgroup == "pacific")
    by_x = dict(zip(pacific.x, pacific.y, strict=True))
    assert by_x[ends[3].isoformat()] is None  # suppressed
    for t in _lines(fig):  # withheld quarter is a gap in every group
        assert dict(zip(t.x, t.y, strict=True))[ends[2].isoformat()] is None
        assert t.connectgaps is False


def test_trend_marks_withheld_period(tiny_series):
    fig = trend_figure(tiny_series[0]).build()
    withheld_x = quarter_ends(4)[2].isoformat()
    assert [s.x0 for s in fig.layout.shapes] == [withheld_x]
    assert [a.text for a in fig.layout.annotations] == ["withheld"]


def test_trend_special_cause_ring_carries_the_rule(tiny_series):
    measures, _, trend = tiny_series
    fig = trend_figure(measures, trend).build()
    ring = next(t for t in fig.data if t.marker and t.marker.symbol == "circle-open")
    assert ring.legendgroup == "maori"
    assert list(ring.x) == [quarter_ends(4)[3].isoformat()]
    assert ring.customdata[0][1] == "Above UCL"
    assert "concern" in ring.customdata[0][0]


def test_trend_no_ring_on_a_suppressed_point(tiny_series):
    measures, _, trend = tiny_series
    end = quarter_ends(4)[3]
    trend = trend.with_columns(
        pl.when((pl.col("group_id") == "pacific") & (pl.col("period_end") == end))
        .then(pl.lit("special_cause_concern"))
        .otherwise(pl.col("point_type"))
        .alias("point_type")
    )
    fig = trend_figure(measures, trend).build()
    rings = [t for t in fig.data if t.marker and t.marker.symbol == "circle-open"]
    assert [t.legendgroup for t in rings] == ["maori"]


def test_trend_drops_groups_with_nothing_publishable(tiny_series):
    measures = tiny_series[0].with_columns(
        pl.when(pl.col("group_id") == "asian").then(True).otherwise(pl.col("suppressed"))
        .alias("suppressed")
    )
    fig = trend_figure(measures).build()
    assert "asian" not in {t.legendgroup for t in fig.data}
    for t in fig.data:  # no NaN-only traces
        assert any(y is not None and math.isfinite(y) for y in t.y), t.name


def test_trend_ticks_sit_on_period_ends(tiny_series):
    fig = trend_figure(tiny_series[0]).build()
    assert list(fig.layout.xaxis.tickvals) == [d.isoformat() for d in quarter_ends(4)]
    assert list(fig.layout.xaxis.ticktext) == ["Sep 2024", "Dec 2024", "Mar 2025", "Jun 2025"]


def test_trend_legend_sits_at_the_foot_clear_of_the_title(tiny_series):
    # Above the plot, the legend wrapped onto a second row on the printed A4 page and ran into
    # the chart's title (seen in the board papers); at the foot it has the bottom margin to itself.
    fig = trend_figure(tiny_series[0]).build()
    legend = fig.layout.legend
    assert (legend.yref, legend.yanchor, legend.y, legend.orientation) == ("container", "bottom", 0, "h")
    assert fig.layout.margin.b >= 120   # two legend rows under the ticks and the axis title


def test_trend_title_puts_the_district_on_its_own_line_when_long(tiny_series):
    # Plotly does not wrap a title: "Acute hospital bed days per 1,000 population (indirectly
    # standardised, age × sex): Northland" ran off the printed A4 chart.
    rows = tiny_series[0]
    district = rows["district_name"][0]
    short = trend_figure(rows).build().layout
    assert short.title.text.split("<br><sup>")[0] == f"{rows['measure_name'][0]}: {district}"
    long_name = "Acute hospital bed days per 1,000 population (indirectly standardised, age × sex)"
    long = trend_figure(rows.with_columns(pl.lit(long_name).alias("measure_name"))).build().layout
    heading = long.title.text.split("<br><sup>")[0]
    assert heading.split("<br>") == [f"{long_name}:", district]
    assert long.margin.t > short.margin.t  # room for the second line


def test_trend_thins_ticks_but_keeps_the_latest():
    ends = quarter_ends(20)
    fig = trend_figure(measures_frame([measure_row(period_end=e) for e in ends])).build()
    ticks = list(fig.layout.xaxis.tickvals)
    assert len(ticks) <= 12 and ticks[-1] == ends[-1].isoformat()


def test_trend_adds_dashed_national_line():
    ends = quarter_ends(3)
    district = measures_frame([measure_row(period_end=e) for e in ends])
    national = measures_frame(
        [measure_row(period_end=e, district_code="000", district_name="New Zealand", value=450.0)
         for e in ends]
    )
    fig = trend_figure(district, None, national).build()
    nz = [t for t in fig.data if t.name == "New Zealand (total)"]
    assert len(nz) == 1 and nz[0].line.dash == "dash" and list(nz[0].y) == [450.0] * 3


def test_trend_rejects_mixed_series(tiny_series):
    mixed = pl.concat([tiny_series[0], tiny_series[0].with_columns(pl.lit("x").alias("measure_name"))])
    with pytest.raises(ValueError, match="measure_name"):
        trend_figure(mixed)


def test_trend_rejects_missing_columns(tiny_series):
    with pytest.raises(ValueError, match="upper_ci"):
        trend_figure(tiny_series[0].drop("upper_ci"))


def _forest_frame() -> pl.DataFrame:
    end = date(2025, 6, 30)
    return measures_frame([
        measure_row(period_end=end, district_code="000", district_name="New Zealand", value=500.0,
                    lower_ci=490.0, upper_ci=510.0),
        measure_row(period_end=end, district_code="011", district_name="Northland", value=700.0,
                    lower_ci=650.0, upper_ci=750.0),
        measure_row(period_end=end, district_code="021", district_name="Waitematā", value=480.0,
                    lower_ci=420.0, upper_ci=540.0),
        measure_row(period_end=end, district_code="022", district_name="Auckland", value=300.0,
                    lower_ci=250.0, upper_ci=350.0),
        measure_row(period_end=end, district_code="051", district_name="Tairāwhiti", value=SENTINEL,
                    lower_ci=SENTINEL, upper_ci=SENTINEL, suppressed=True,
                    suppression_reason="numerator < 5"),
        measure_row(period_end=end, district_code="111", district_name="West Coast", value=SENTINEL,
                    status="withheld", status_reason="blocked"),
        measure_row(period_end=end, district_code="011", district_name="Northland",
                    group_id="maori", value=SENTINEL),  # not a total: ignored
    ])


def test_forest_colours_districts_against_the_national_value():
    fig = forest_figure(_forest_frame()).build()
    by_name = {t.name: list(t.y) for t in fig.data}
    assert by_name == {
        "Better than New Zealand": ["Auckland"],
        "Not different from New Zealand": ["Waitematā"],
        "Worse than New Zealand": ["Northland"],
    }
    assert fig.layout.shapes[0].x0 == 500.0  # national line
    assert fig.layout.xaxis.title.text == "Per 100,000 population"


def test_forest_keeps_suppressed_and_withheld_districts_as_labelled_empty_rows():
    fig = forest_figure(_forest_frame()).build()
    cats = list(fig.layout.yaxis.categoryarray)
    assert "Tairāwhiti (s)" in cats and "West Coast (withheld)" in cats
    assert SENTINEL not in _all_x(fig)
    assert not SENTINEL_RE.search(fig.to_json())


def test_forest_direction_flips_for_higher_is_better():
    fig = forest_figure(_forest_frame().with_columns(pl.lit("higher_is_better").alias("direction"))).build()
    by_name = {t.name: list(t.y) for t in fig.data}
    assert by_name["Better than New Zealand"] == ["Northland"]


def test_forest_and_rug_share_one_comparison():
    """One implementation (comparisons.compare_with_benchmark): the forest's legend says the same
    judgement as the tartan rug and the first page, for every district."""
    frame = _forest_frame()
    fig = forest_figure(frame).build()
    rows = normalise_measures(frame).filter(pl.col("group_id") == "total")
    nz = rows.filter(pl.col("district_code") == "000").item(0, "value")
    names = {"better": "Better than New Zealand", "similar": "Not different from New Zealand",
             "worse": "Worse than New Zealand"}
    expected: dict[str, list[str]] = {}
    for r in rows.filter((pl.col("district_code") != "000") & pl.col("value").is_not_null()).sort(
            "district_code").iter_rows(named=True):
        key = compare_with_benchmark(r["value"], r["lower_ci"], r["upper_ci"], nz, r["direction"])
        expected.setdefault(names[key], []).append(r["district_name"])
    assert {t.name: list(t.y) for t in fig.data} == expected


def test_forest_without_polarity_says_higher_or_lower():
    fig = forest_figure(_forest_frame().with_columns(pl.lit(None, pl.String).alias("direction"))).build()
    by_name = {t.name: list(t.y) for t in fig.data}
    assert by_name == {"Not different from New Zealand": ["Waitematā"],
                       "Lower than New Zealand": ["Auckland"], "Higher than New Zealand": ["Northland"]}


def _equity_frame() -> pl.DataFrame:
    end = date(2025, 6, 30)
    rows = []
    for code, rr_m, rr_p, sup_p in (("011", 2.0, 1.5, False), ("021", 1.2, SENTINEL, True)):
        for g, rr, sup in (("maori", rr_m, False), ("pacific", rr_p, sup_p)):
            rows.append({"district_code": code, "measure_id": "ash_0_4", "breakdown": None,
                         "period_end": end, "group_id": g, "comparator_group": "nmnp",
                         "rate_ratio": rr, "rr_lower": rr * 0.8, "rr_upper": rr * 1.25,
                         "rate_difference": None, "rd_lower": None, "rd_upper": None,
                         "method": "wald_log", "suppressed": sup})
    return frame(rows, EQUITY_SCHEMA)


def test_equity_plots_maori_and_pacific_on_a_log_axis_with_reference_at_one():
    names = {"011": "Northland", "021": "Waitematā", "022": "Auckland"}
    fig = equity_figure(_equity_frame(), names, "ASH 0–4", "2025Q2").build()
    assert [t.name for t in fig.data] == ["Māori", "Pacific"]
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.shapes[0].x0 == 1
    lo, hi = fig.layout.xaxis.range
    assert lo < 0 < hi  # log10(1) = 0 is inside the axis
    pacific = fig.data[1]
    assert list(pacific.x) == [1.5] and list(pacific.y) == ["Northland"]
    assert "Waitematā (Pacific s)" in fig.layout.yaxis.categoryarray
    assert "Auckland" in fig.layout.yaxis.categoryarray  # no data still gets its row
    assert not SENTINEL_RE.search(fig.to_json())


def test_trend_inputs_may_be_empty_trend_frame(tiny_series):
    fig = trend_figure(tiny_series[0], frame([], TREND_SCHEMA)).build()
    assert not [t for t in fig.data if t.marker and t.marker.symbol == "circle-open"]


def test_figure_html_is_deterministic_and_has_no_plotlyjs(tiny_series):
    a = figure_html(trend_figure(tiny_series[0], tiny_series[2]), "trend-023-ash")
    b = figure_html(trend_figure(tiny_series[0], tiny_series[2]), "trend-023-ash")
    assert a == b
    assert 'id="trend-023-ash"' in a
    assert "plotly.js v" not in a and "<script src" not in a


def test_trend_reads_its_rows_in_any_order(tiny_series):
    """The chart reads a series as plain rows and orders them itself: the same figure whatever
    order the mart hands them over in (the withheld mark and special-cause rings included)."""
    measures, _, trend = tiny_series
    shuffled = measures.sample(fraction=1.0, shuffle=True, seed=3)
    assert shuffled.rows() != measures.rows()
    expected = trend_figure(measures, trend).build().to_json()
    assert trend_figure(shuffled, trend.reverse()).build().to_json() == expected
