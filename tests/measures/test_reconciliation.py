"""Reconciliation with the Ministry's release: latest release per period_end, our values beside
theirs, and a planted difference flagged while one within tolerance is not.

Our side: 6 ASH admissions of Māori children in Northland (J18 pneumonia, 2 days each) in 2024,
5,000 Māori children aged 0–4 → ASH 6 / 5,000 = 120 per 100,000; the same stays are 12 acute
bed days → 12 / 5,000 × 1,000 = 2.4 per 1,000 (the only population loaded is aged 0–4).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines.measures.measure_config import default_config
from pipelines.measures.reconciliation import reconcile
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import publish
from pipelines.warehouse import execute, replace_rows, run_staging_sql
from tests.measures.nmds_builder import event, load_nmds, load_population

QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
END = date(2024, 12, 31)
RELEASE_COLUMNS = {"release_id": pl.String, "period_end": pl.Date, "dhb_code": pl.String,
                   "ethnic_group": pl.String, "age_group": pl.String, "numerator": pl.Float64,
                   "denominator": pl.Float64, "rate": pl.Float64, "_sheet": pl.String}

RELEASE = [
    # The older release matches us exactly; the newer one (which supersedes it) has 7 events.
    ("2024Q4", END, "011", "Māori", "00-04", 6, 5000, 120.0, "ash_0_4"),
    ("2025Q1", END, "011", "Māori", "00-04", 7, 5000, 140.0, "ash_0_4"),     # planted: +1 event
    ("2025Q1", END, "011", "Total", "00-04", 6, 5000, 120.0, "ash_0_4"),
    # A period only the Ministry has: outside our coverage, so not compared.
    ("2025Q1", date(2023, 12, 31), "011", "Māori", "00-04", 5, 4900, 102.0, "ash_0_4"),
    # A district code we do not publish: compared, and flagged as one-sided.
    ("2025Q1", END, "999", "Total", "00-04", 1, 100, 1000.0, "ash_0_4"),
    # Bed days 0.42 % above ours: inside the 1 % tolerance.
    ("2025Q1", END, "011", "Māori", "all", 12.05, 5000, 2.41, "acute_bed_days"),
]


@pytest.fixture
def reconciled(con):
    load_nmds(con, [event() for _ in range(6)], QUARTERS)
    load_population(con, [(2024, "011", age, "F", "Māori", 1000) for age in range(5)])
    for name in ("nmds_events", "population"):
        run_staging_sql(con, name)
    config = default_config()
    for measure_id in ("ash_0_4", "acute_bed_days_crude"):
        measure = config.measure(measure_id)
        run_measure_sql(con, measure)
        replace_rows(con, "marts.measures", publish(con, measure, config), "measure_id", measure_id)
    frame = pl.DataFrame(RELEASE, schema=RELEASE_COLUMNS, orient="row")
    con.register("_release", frame)
    execute(con, "CREATE OR REPLACE TABLE raw.moh_release AS SELECT * FROM _release")
    con.unregister("_release")
    run_staging_sql(con, "moh_release")
    return reconcile(con)


def value(table: pl.DataFrame, measure: str, district: str, group: str, quantity: str) -> dict:
    return table.filter((pl.col("moh_measure") == measure) & (pl.col("district_code") == district)
                        & (pl.col("group_id") == group) & (pl.col("quantity") == quantity)
                        & (pl.col("period_end") == END)).row(0, named=True)


def test_staging_keeps_the_latest_release_for_each_period_end(con, reconciled):
    kept = con.sql("SELECT release_id, period_end, district_code, group_id, numerator FROM staging.moh_release "
                   "WHERE measure_id = 'ash_0_4' AND district_code = '011' AND group_id = 'maori' "
                   "ORDER BY period_end").fetchall()
    assert kept == [("2025Q1", date(2023, 12, 31), "011", "maori", 5.0), ("2025Q1", END, "011", "maori", 7.0)]


def test_a_planted_difference_is_flagged_with_both_values(reconciled):
    n = value(reconciled, "ash_0_4", "011", "maori", "numerator")
    assert (n["ours"], n["ministry"], n["difference"]) == (6, 7, -1)
    assert n["relative_difference"] == pytest.approx(-1 / 7)
    assert n["beyond_tolerance"] is True and n["release_id"] == "2025Q1"
    rate = value(reconciled, "ash_0_4", "011", "maori", "rate")
    assert (rate["ours"], rate["ministry"]) == (pytest.approx(120.0), 140.0)    # 6/5000 vs 7/5000 × 100,000
    assert rate["beyond_tolerance"] is True
    assert rate["ministry_rate_is_crude"] is True


def test_agreement_and_small_differences_are_not_flagged(reconciled):
    assert value(reconciled, "ash_0_4", "011", "maori", "denominator")["beyond_tolerance"] is False
    assert value(reconciled, "ash_0_4", "011", "total", "numerator")["difference"] == 0
    bed = value(reconciled, "acute_bed_days", "011", "maori", "numerator")
    assert bed["measure_id"] == "acute_bed_days_crude"
    assert (bed["ours"], bed["ministry"]) == (12, 12.05)                          # 2 bed days × 6 stays
    assert bed["relative_difference"] == pytest.approx(-0.05 / 12.05)             # −0.41 %
    assert bed["beyond_tolerance"] is False
    assert value(reconciled, "acute_bed_days", "011", "maori", "rate")["ours"] == pytest.approx(2.4)


def test_one_sided_cells_are_reported_not_dropped(reconciled):
    theirs_only = value(reconciled, "ash_0_4", "999", "total", "numerator")
    assert theirs_only["ours"] is None and theirs_only["note"] == "not in our results"
    assert theirs_only["beyond_tolerance"] is True
    ours_only = value(reconciled, "ash_0_4", "021", "maori", "numerator")
    assert ours_only["ministry"] is None and ours_only["note"] == "not in the Ministry release"
    # Periods only one side covers are not compared at all.
    assert reconciled["period_end"].unique().to_list() == [END]


def test_the_tolerance_is_a_parameter(con, reconciled):
    loose = reconcile(con, relative_tolerance=0.2)
    assert value(loose, "ash_0_4", "011", "maori", "numerator")["beyond_tolerance"] is False   # 14 % < 20 %
    tight = reconcile(con, relative_tolerance=0.001)
    assert value(tight, "acute_bed_days", "011", "maori", "numerator")["beyond_tolerance"] is True


def test_the_dagster_asset_builds_the_table_and_warns_on_differences(warehouse_path, reconciled, tmp_path):
    import dagster as dg

    from pipelines.defs.reconciliation import CHECK, moh_reconciliation
    from pipelines.defs.resources import Warehouse

    resource = Warehouse(database=str(warehouse_path), landing=str(tmp_path), dashboards=str(tmp_path),
                         exports=str(tmp_path))
    result = dg.materialize([moh_reconciliation], resources={"warehouse": resource})
    assert result.success                                  # a difference never fails the run …
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == CHECK and check.passed is False   # … it is a warning to explain
    flagged = result.asset_materializations_for_node("moh_reconciliation")[0].metadata["flagged"].value
    assert flagged == reconciled.filter(pl.col("beyond_tolerance")).height


def test_new_zealand_is_the_sum_of_the_release_districts(reconciled):
    # The release gives districts only. Its national Māori ASH line for 2024 is then the sum of
    # the Māori district rows for that period_end in the newest release: 011 (7 events / 5,000);
    # ours nationally is 6 / 5,000, so the planted +1 event shows nationally too.
    national = value(reconciled, "ash_0_4", "000", "maori", "numerator")
    assert (national["ours"], national["ministry"]) == (6, 7)
    assert national["beyond_tolerance"] is True
    rate = value(reconciled, "ash_0_4", "000", "maori", "rate")
    assert rate["ministry"] == pytest.approx(7 / 5000 * 100_000)
