"""sql/commentary/: decomposition inputs from hand-made cells and events in a real DuckDB file."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines.commentary.decomposition import year_on_year
from pipelines.commentary.inputs import build_change_inputs
from pipelines.measures.measure_config import default_config
from pipelines.reference import load_reference
from pipelines.warehouse import connect

Y24 = (date(2024, 1, 1), date(2024, 12, 31))
Y25 = (date(2025, 1, 1), date(2025, 12, 31))


def _ash(con) -> None:
    cells = [  # window, district, group, admissions, children
        (Y24, "011", "maori", 10, 1000), (Y24, "011", "pacific", 5, 500),
        (Y25, "011", "maori", 20, 1000), (Y25, "011", "pacific", 5, 600),
        (Y24, "021", "maori", 1, 100), (Y25, "021", "maori", 2, 100),
    ]
    con.execute("CREATE TABLE marts.ash_0_4_cells (period_start DATE, period_end DATE, withheld BOOLEAN, "
                "blocking_rules VARCHAR[], district_code VARCHAR, group4_id VARCHAR, breakdown VARCHAR, "
                "stratum VARCHAR, numerator BIGINT, denominator BIGINT)")
    for (start, end), d, g, x, n in cells:
        con.execute("INSERT INTO marts.ash_0_4_cells VALUES (?, ?, false, [], ?, ?, '', '', ?, ?)",
                    [start, end, d, g, x, n])
    # 011: 2024 → 8 respiratory (asthma) + 7 dental; 2025 → 15 + 10. 021: one asthma, then two.
    events = ([("011", date(2024, 5, 1), "Asthma")] * 8 + [("011", date(2024, 6, 1), "Dental conditions")] * 7
              + [("011", date(2025, 5, 1), "Asthma")] * 15 + [("011", date(2025, 6, 1), "Dental conditions")] * 10
              + [("021", date(2024, 3, 1), "Asthma")] + [("021", date(2025, 3, 1), "Asthma")] * 2)
    con.execute("CREATE TABLE marts.ash_0_4_events (event_id VARCHAR, district_code VARCHAR, "
                "group4_id VARCHAR, event_date DATE, condition VARCHAR)")
    for i, (d, when, condition) in enumerate(events):
        con.execute("INSERT INTO marts.ash_0_4_events VALUES (?, ?, 'maori', ?, ?)", [f"E{i}", d, when, condition])


def _amenable(con) -> None:
    con.execute("CREATE TABLE marts.amenable_mortality_cells (period_start DATE, period_end DATE, "
                "withheld BOOLEAN, blocking_rules VARCHAR[], district_code VARCHAR, group4_id VARCHAR, "
                "breakdown VARCHAR, stratum VARCHAR, numerator BIGINT, denominator BIGINT)")
    cells = [  # breakdown, band, deaths, person-years (one window, one district, one group)
        ("cancers", "0-4", 1, 50_000), ("cancers", "70-74", 30, 20_000),
        ("cvd_diabetes", "0-4", 0, 50_000), ("cvd_diabetes", "70-74", 12, 20_000),
        ("", "0-4", 1, 50_000), ("", "70-74", 42, 20_000),
    ]
    for bd, band, x, n in cells:
        con.execute("INSERT INTO marts.amenable_mortality_cells VALUES (?, ?, false, [], '011', 'maori', ?, ?, ?, ?)",
                    [date(2021, 1, 1), date(2025, 12, 31), bd, band, x, n])


def _bed_days(con) -> None:
    con.execute("CREATE TABLE marts.acute_bed_days_cells (period_start DATE, period_end DATE, withheld BOOLEAN, "
                "blocking_rules VARCHAR[], district_code VARCHAR, group4_id VARCHAR, breakdown VARCHAR, "
                "stratum VARCHAR, numerator BIGINT, denominator BIGINT, sum_stays BIGINT, sum_bed_days_sq BIGINT)")
    for (start, end), stratum, days, pop, stays in [(Y24, "0-4|M", 300, 1000, 100), (Y24, "0-4|F", 100, 1000, 50),
                                                     (Y25, "0-4|M", 330, 1000, 100), (Y25, "unknown|U", 7, 0, 2)]:
        con.execute("INSERT INTO marts.acute_bed_days_cells VALUES (?, ?, ?, [], '011', 'maori', '', ?, ?, ?, ?, 0)",
                    [start, end, end == Y25[1] and stratum == "never", stratum, days, pop, stays])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> pl.DataFrame:
    with connect(tmp_path_factory.mktemp("inputs") / "warehouse.duckdb") as con:
        load_reference(con)
        _ash(con)
        _amenable(con)
        _bed_days(con)
        built = build_change_inputs(con, default_config())
        assert built == ["acute_bed_days_admissions_los", "amenable_mortality_cause_group",
                         "ash_0_4_condition_group", "ash_0_4_ethnic_group"]
        return con.sql("SELECT * FROM marts.change_inputs").pl()


def _get(inputs, decomposition, district, end, stratum, column):
    hit = inputs.filter((pl.col("decomposition") == decomposition) & (pl.col("district_code") == district)
                        & (pl.col("period_end") == end) & (pl.col("stratum") == stratum))
    assert hit.height == 1, (decomposition, district, end, stratum)
    return hit.item(0, column)


def test_ethnic_group_cells_and_new_zealand_sum(inputs):
    assert _get(inputs, "ethnic_group", "011", Y25[1], "pacific", "numerator") == 5
    assert _get(inputs, "ethnic_group", "011", Y25[1], "pacific", "denominator") == 600
    assert _get(inputs, "ethnic_group", "000", Y25[1], "maori", "numerator") == 22   # 20 + 2
    assert _get(inputs, "ethnic_group", "000", Y24[1], "maori", "denominator") == 1100


def test_condition_groups_are_chapters_with_zero_counts_and_the_district_population(inputs):
    assert _get(inputs, "condition_group", "011", Y24[1], "Dental", "numerator") == 7
    assert _get(inputs, "condition_group", "011", Y25[1], "Respiratory", "numerator") == 15
    # 021 had no dental admission: a zero row, not a missing one
    assert _get(inputs, "condition_group", "021", Y25[1], "Dental", "numerator") == 0
    # every stratum carries the whole district's children: 1,000 + 600
    assert _get(inputs, "condition_group", "011", Y25[1], "Dental", "denominator") == 1600
    # chapters add up to the measure's numerator
    by_chapter = inputs.filter((pl.col("decomposition") == "condition_group") & (pl.col("district_code") == "011")
                               & (pl.col("period_end") == Y25[1]))["numerator"].sum()
    assert by_chapter == 25


def test_cause_group_parts_add_up_to_the_standardised_rate(inputs):
    w04, w7074 = 8.86, 2.21   # reference/standard_population.csv, WHO 2000–2025
    cancers = (1 * w04 / 50_000 + 30 * w7074 / 20_000) / (w04 + w7074) * 100_000
    cvd = (12 * w7074 / 20_000) / (w04 + w7074) * 100_000
    whole = (1 * w04 / 50_000 + 42 * w7074 / 20_000) / (w04 + w7074) * 100_000
    got = {s: _get(inputs, "cause_group", "011", Y25[1], s, "rate_part") for s in ("cancers", "cvd_diabetes")}
    assert got["cancers"] == pytest.approx(cancers, rel=1e-12)
    assert got["cvd_diabetes"] == pytest.approx(cvd, rel=1e-12)
    assert sum(got.values()) == pytest.approx(whole, rel=1e-12)
    assert not inputs.filter(pl.col("stratum") == "").height   # the all-causes breakdown is not a part


def test_admissions_and_length_of_stay_inputs_sum_every_stratum(inputs):
    assert _get(inputs, "admissions_los", "011", Y24[1], "all", "numerator") == 400
    assert _get(inputs, "admissions_los", "011", Y24[1], "all", "stays") == 150
    assert _get(inputs, "admissions_los", "011", Y24[1], "all", "denominator") == 2000
    # the unknown stratum's stays count (as in the crude rate), with no population
    assert _get(inputs, "admissions_los", "011", Y25[1], "all", "numerator") == 337
    assert _get(inputs, "admissions_los", "011", Y25[1], "all", "denominator") == 1000


def test_year_on_year_pairs_windows_a_year_apart(inputs):
    pairs = year_on_year(inputs)
    dental = pairs.filter((pl.col("decomposition") == "condition_group") & (pl.col("district_code") == "011")
                          & (pl.col("stratum") == "Dental"))
    assert dental.select("side", "period_end", "previous_period_end", "numerator").rows() == [
        ("after", Y25[1], Y24[1], 10.0), ("before", Y25[1], Y24[1], 7.0)]


def test_a_withheld_window_gives_no_pair(con):
    _ash(con)
    con.execute("UPDATE marts.ash_0_4_cells SET withheld = true WHERE period_end = DATE '2024-12-31'")
    build_change_inputs(con, default_config())
    pairs = year_on_year(con.sql("SELECT * FROM marts.change_inputs").pl())
    assert pairs.is_empty()
