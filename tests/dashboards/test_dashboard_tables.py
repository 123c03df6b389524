"""Latest-period table, withheld periods, DQ rows, file naming."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from conftest import (
    DQ_SCHEMA,
    SENTINEL,
    SENTINEL_RE,
    frame,
    measure_row,
    measures_frame,
    quarter_ends,
)

from pipelines.dashboards.frames import district_file_name, slugify
from pipelines.dashboards.tables import dq_rows, headline_value, latest_table, withheld_periods


def _rows(table):
    return {r.group_id: r for r in table.rows}


def test_latest_table_formats_published_rows(tiny_series):
    measures, equity, _ = tiny_series
    t = latest_table(measures, equity)
    assert t.period_label == "Year to Jun 2025"
    assert t.ci_label == "95% CI"
    assert [r.group for r in t.rows] == [
        "Māori", "Pacific", "non-Māori non-Pacific", "Total", "Asian", "European/Other",
    ]
    maori = _rows(t)["maori"]
    assert maori.numerator == "39" and maori.denominator == "4,000"
    assert maori.rate_ratio == "1.80 (1.20 to 2.40)"
    assert _rows(t)["nmnp"].rate_ratio == "reference"
    assert _rows(t)["total"].rate_ratio == "—"
    assert _rows(t)["asian"].rate_ratio == "—"  # the equity mart has no Asian ratio


def test_latest_table_shows_suppressed_cells_as_s(tiny_series):
    measures, equity, _ = tiny_series
    pacific = _rows(latest_table(measures, equity))["pacific"]
    assert (pacific.numerator, pacific.value, pacific.ci, pacific.rate_ratio) == ("s",) * 4
    assert pacific.denominator == "4,000"
    assert pacific.state == "suppressed"
    t = latest_table(measures, equity)
    assert t.has_suppressed and t.suppression_reasons == ["numerator < 5"]
    assert not any(SENTINEL_RE.search(str(v)) for r in t.rows for v in vars(r).values())


def test_rate_ratio_is_suppressed_when_the_comparator_is(tiny_series):
    measures, equity, _ = tiny_series
    measures = measures.with_columns(
        pl.when(pl.col("group_id") == "nmnp").then(True).otherwise(pl.col("suppressed"))
        .alias("suppressed")
    )
    assert _rows(latest_table(measures, equity))["maori"].rate_ratio == "s"


def test_latest_table_shows_withheld_rows_with_reason():
    end = date(2025, 6, 30)
    m = measures_frame([
        measure_row(period_end=end, group_id=g, status="withheld", value=SENTINEL,
                    status_reason="NMDS 2025Q2 blocked: nmds_dup_event")
        for g in ("maori", "total")
    ])
    t = latest_table(m)
    assert [(r.value, r.note, r.state) for r in t.rows] == [
        ("withheld", "NMDS 2025Q2 blocked: nmds_dup_event", "withheld")
    ] * 2
    assert all(r.numerator == "—" and r.ci == "—" for r in t.rows)


def test_withheld_periods_lists_each_period_once(tiny_series):
    assert withheld_periods(tiny_series[0]) == [("Year to Mar 2025", "contract rule failed: nmds_dup_event")]


def test_headline_value_uses_latest_total():
    ends = quarter_ends(2)
    m = measures_frame([measure_row(period_end=ends[0], value=1.0),
                        measure_row(period_end=ends[1], value=512.345)])
    assert headline_value(m, "023") == "512.3"
    assert headline_value(m.with_columns(pl.lit(True).alias("suppressed")), "023") == "s"
    assert headline_value(m, "999") == "—"


def test_dq_rows_put_blocked_first():
    dq = frame([
        ("nmds", "2025Q1", "pass", "", 10, 10, 0),
        ("nmds", "2024Q4", "blocked", "r1 (error, 100 rows)", 1_200, 1_100, 100),
        ("pes", "2025Q1", "warn", "w1 (warning, 1 rows)", 30, 29, 1),
    ], DQ_SCHEMA)
    rows = dq_rows(dq)
    assert [r.status for r in rows] == ["blocked", "warn", "pass"]
    assert rows[0].failed_rules == "r1 (error, 100 rows)" and rows[0].rows_read == "1,200"
    assert rows[2].failed_rules == "—"


def test_dq_rows_accept_a_list_of_rules():
    dq = frame([("nmds", "2024Q4", "blocked", ["r2", "r1"], 1, 1, 0)],
               {**DQ_SCHEMA, "failed_rules": pl.List(pl.String)})
    assert dq_rows(dq)[0].failed_rules == "r1, r2"


def test_dq_rows_reject_missing_columns():
    with pytest.raises(ValueError, match="rows_quarantined"):
        dq_rows(pl.DataFrame({"source_id": ["x"], "period": ["p"], "status": ["pass"],
                              "failed_rules": ["-"], "rows_read": [1], "rows_loaded": [1]}))


@pytest.mark.parametrize(
    ("name", "slug"),
    [("Waitematā", "waitemata"), ("Capital & Coast", "capital-and-coast"),
     ("Hawke's Bay", "hawkes-bay"), ("Tairāwhiti", "tairawhiti"), ("MidCentral", "midcentral")],
)
def test_slugify(name, slug):
    assert slugify(name) == slug


def test_district_file_name():
    assert district_file_name("023", "Counties Manukau") == "district_023_counties-manukau.html"


def test_table_and_withheld_periods_read_rows_in_any_order(tiny_series):
    measures, equity, _ = tiny_series
    shuffled = measures.sample(fraction=1.0, shuffle=True, seed=5)
    assert shuffled.rows() != measures.rows()
    assert latest_table(shuffled, equity.reverse()) == latest_table(measures, equity)
    assert withheld_periods(shuffled) == withheld_periods(measures)
