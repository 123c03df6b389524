"""One quarter breaks an error rule: that quarter's windows are withheld and nothing else is, and
the Dagster check, the data-quality report and the dashboards all say why.

The generator's defect mode drops every row of one district from the 2025Q2 NMDS extract, which
breaks nmds_events.all_districts_present (error severity).
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.contracts.report import render_dq_report
from tests.integration.pipeline_run import BLOCKED

pytestmark = pytest.mark.slow
RULE = "nmds_events.all_districts_present"
OTHER_MEASURE = "youth_chlamydia_testing"  # chlamydia testing's measure: not from admissions


@pytest.fixture(scope="module")
def run(partial_run):
    """Admissions, the population and one other quarterly source (chlamydia testing), shared with
    the other integration tests (tests/integration/conftest.py): enough to show the blocked quarter
    withholds only the measures that read admissions."""
    con = duckdb.connect(str(partial_run["settings"].warehouse), read_only=True)
    yield {**partial_run, "con": con}
    con.close()


def test_only_the_broken_quarter_is_blocked(run):
    status = dict(run["con"].sql("SELECT period, status FROM meta.period_status "
                                 "WHERE source_id = 'nmds_events'").fetchall())
    assert status[BLOCKED] == "blocked"
    assert {p for p, s in status.items() if s == "blocked"} == {BLOCKED}


def test_windows_containing_it_are_withheld_and_the_rest_published(run):
    ash = run["con"].sql("SELECT period_end, status, status_reason, value FROM marts.measures "
                         "WHERE measure_id = 'ash_0_4' AND district_code = '000' AND group_id = 'total'").pl()
    withheld = ash.filter(pl.col("status") == "withheld")
    # Rolling 12 months: the windows ending 2025Q2, Q3 and Q4 contain April–June 2025.
    assert sorted(str(d) for d in withheld["period_end"]) == ["2025-06-30", "2025-09-30", "2025-12-31"]
    assert all(RULE in r for r in withheld["status_reason"])
    published = ash.filter(pl.col("status") == "published")
    assert sorted(str(d) for d in published["period_end"]) == ["2024-12-31", "2025-03-31"]
    assert published["value"].null_count() == 0


def test_measures_from_other_sources_are_untouched(run):
    others = run["con"].sql("""SELECT DISTINCT measure_id FROM marts.measures
                               WHERE status = 'withheld'""").fetchall()
    nmds_measures = {"ash_0_4", "acute_bed_days", "acute_bed_days_crude", "acute_bed_days_who",
                     "youth_self_harm"}
    assert {m for (m,) in others} <= nmds_measures
    # the other source's measure publishes the very windows the blocked admissions withhold
    other = run["con"].sql(f"""SELECT DISTINCT status FROM marts.measures WHERE measure_id = '{OTHER_MEASURE}'
                               AND district_code = '000' AND group_id = 'total'
                               AND period_end IN ('2025-06-30', '2025-09-30', '2025-12-31')""").fetchall()
    assert other == [("published",)]


def test_the_dagster_check_fails_and_names_the_quarter(run):
    ingest = next(r for r in run["runs"] if r.job_name == "ingest_quarterly")
    evaluation = next(e for e in ingest.result.get_asset_check_evaluations()
                      if e.check_name == "nmds_events_contract")
    assert evaluation.passed is False
    table = evaluation.metadata["blocked_periods"].value
    assert BLOCKED in table and RULE in table
    assert all(r.success for r in run["runs"])     # the run goes on: other quarters are fine


def test_the_data_quality_report_says_why(run):
    report = render_dq_report(run["con"], BLOCKED)
    assert RULE in report and "blocked" in report.lower()


def test_the_dashboards_show_the_withheld_windows(run):
    page = next(run["settings"].dashboards.rglob("district_011_*.html")).read_text(encoding="utf-8")
    assert "withheld" in page.lower()
