"""The whole pipeline on the small synthetic preset: generator → landing → Dagster jobs (in-process,
ephemeral instance, a real DuckDB file) → measures → exports → dashboards, checked against the
generator's planted truth.
"""

from __future__ import annotations

import re
import shutil

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.defs.jobs import REFRESH_JOB
from pipelines.defs.launch import run_pending
from tests.integration.pipeline_run import pipeline_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def e2e(tmp_path_factory):
    with pipeline_run(tmp_path_factory.mktemp("e2e")) as run:
        yield run


@pytest.fixture(scope="module")
def run(e2e):
    """The same pipeline run, under the name the export checks use."""
    return e2e


from tests.integration.export_checks import *  # noqa: E402,F403 (issue 9's export checks, same run)


def warehouse(e2e):
    return duckdb.connect(str(e2e["settings"].warehouse), read_only=True)


def test_every_job_succeeds(e2e):
    assert [r.job_name for r in e2e["runs"] if not r.success] == []


def test_every_file_balances(e2e):
    with warehouse(e2e) as con:
        unbalanced = con.sql("""
            SELECT file_name, sum(rows_read), sum(rows_loaded), sum(rows_quarantined)
            FROM meta.provenance GROUP BY file_name
            HAVING sum(rows_read) <> sum(rows_loaded) + sum(rows_quarantined)""").fetchall()
        files = con.sql("SELECT count(DISTINCT file_name) FROM meta.provenance").fetchall()[0][0]
    assert unbalanced == []
    assert files >= 10


def test_ash_numerators_equal_the_planted_events(e2e):
    """Applying the definition to the files must find exactly the events the generator planted
    as counting, quarter by quarter, district by district, group by group."""
    planted = (
        pl.read_parquet(e2e["settings"].truth / "planted_numerators.parquet")
        .filter(pl.col("measure_id") == "ash_0_4")
        .select("period_label", "district_code", "group_id", pl.col("realised_numerator").cast(pl.Int64))
    )
    with warehouse(e2e) as con:
        found = con.sql("""
            SELECT discharge_quarter AS period_label, district_code, group4_id AS group_id,
                   count(*)::BIGINT AS found
            FROM marts.ash_0_4_events GROUP BY ALL""").pl()
    joined = planted.join(found, on=["period_label", "district_code", "group_id"], how="full",
                          coalesce=True).fill_null(0)
    assert joined["realised_numerator"].sum() > 0
    assert joined.filter(pl.col("realised_numerator") != pl.col("found")).height == 0


def test_ash_recovers_planted_rates_within_their_cis(e2e):
    truth = pl.read_parquet(e2e["settings"].truth / "truth.parquet").filter(pl.col("measure_id") == "ash_0_4")
    with warehouse(e2e) as con:
        rows = con.sql("SELECT * FROM marts.measures WHERE measure_id = 'ash_0_4'").pl()
    joined = rows.join(truth.select("district_code", "group_id", "period_end", "expected_value",
                                    pl.col("denominator").alias("true_denominator")),
                       on=["district_code", "group_id", "period_end"], how="inner")
    assert joined.height == truth.height                    # every planted cell was computed
    assert (joined["denominator"] == joined["true_denominator"]).all()
    covered = (joined["expected_value"] >= joined["lower_ci"]) & (joined["expected_value"] <= joined["upper_ci"])
    # 95% intervals: about 95% of cells should cover the truth; far fewer would mean a biased
    # measure. Nationally each group is large, so every window must cover it.
    assert covered.mean() >= 0.90
    national = joined.filter(pl.col("district_code") == "000")
    assert national.filter(~((pl.col("expected_value") >= pl.col("lower_ci"))
                             & (pl.col("expected_value") <= pl.col("upper_ci")))).height == 0


def test_exports_and_dashboards_carry_no_identifiers(e2e):
    settings = e2e["settings"]
    pages = sorted(settings.dashboards.rglob("*.html"))
    assert any(p.name == "index.html" for p in pages)
    assert len(pages) == 21                                  # national overview + 20 districts
    exports = sorted(settings.exports.glob("slm_*.csv"))
    assert exports
    # Every encrypted NHI that was loaded; none may appear in anything published.
    with warehouse(e2e) as con:
        nhis = {r[0] for r in con.sql(
            "SELECT nhi_encrypted FROM raw.nmds_events UNION SELECT nhi_encrypted FROM raw.mortality "
            "UNION SELECT nhi_encrypted FROM raw.nnpac_ed UNION SELECT baby_nhi_encrypted FROM raw.smokefree"
        ).fetchall()}
    assert len(nhis) > 1000
    hex64 = re.compile(r"[0-9a-f]{64}")
    for path in pages + exports:
        text = path.read_text(encoding="utf-8")
        assert not nhis.intersection(hex64.findall(text)), f"{path.name} contains an encrypted NHI"
        assert "date_of_birth" not in text and "nhi_encrypted" not in text


def test_published_exports_hide_suppressed_values(e2e):
    exported = pl.read_parquet(e2e["settings"].exports / "slm_measures.parquet")
    suppressed = exported.filter(pl.col("suppressed"))
    assert suppressed.height > 0                             # small preset: there are small cells
    assert suppressed["value"].null_count() == suppressed.height
    assert suppressed["numerator"].null_count() == suppressed.height


def test_no_suppressed_cell_can_be_recovered_from_the_exports(e2e):
    """The attacker (docs/suppression.md) on both exports: every published relation solved, no
    suppressed count found; every comparison with a suppressed side is blank."""
    from pipelines.measures.attack import attack, read_export

    exports = e2e["settings"].exports
    for path in (exports / "slm_measures.parquet", exports / "slm_measures.csv"):
        exported = read_export(path)
        assert attack(exported) == [], path.name
    reasons = exported.filter(pl.col("suppressed"))["suppression_reason"]
    assert reasons.str.starts_with("complementary").any() and reasons.str.starts_with("fewer than").any()
    equity = pl.read_parquet(exports / "slm_equity.parquet")
    sides = exported.select("measure_id", "district_code", "period_end", "breakdown", "group_id", "suppressed")
    keys = ["measure_id", "district_code", "period_end", "breakdown"]
    joined = (equity.join(sides, on=[*keys, "group_id"], how="left", suffix="_group", nulls_equal=True)
              .join(sides.filter(pl.col("group_id") == "nmnp").drop("group_id"), on=keys, how="left",
                    suffix="_comparator", nulls_equal=True))
    either = joined.filter(pl.col("suppressed_group") | pl.col("suppressed_comparator"))
    assert either.height > 0 and either["suppressed"].all()
    assert either["rate_ratio"].null_count() == either.height == either["rate_difference"].null_count()


def test_every_measure_check_ran_in_the_refresh_and_passed(e2e):
    from pipelines.defs.marts import check_specs

    (refresh,) = [r for r in e2e["runs"] if r.job_name == REFRESH_JOB]
    evaluated = {(e.asset_key.to_user_string(), e.check_name): e.passed
                 for e in refresh.result.get_asset_check_evaluations()}
    wanted = {(spec.asset_key.to_user_string(), spec.name) for spec in check_specs()}
    assert len(wanted) > 40 and wanted <= set(evaluated)
    assert sorted(k for k in wanted if not evaluated[k]) == []


def test_a_measure_check_names_the_row_that_breaks_it(e2e, tmp_path):
    """The measure checks on a copy of the warehouse with one value moved outside its interval:
    that check fails on exactly that row, the others still pass."""
    from pipelines.defs.marts import check_results

    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(e2e["settings"].warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("""UPDATE marts.measures SET value = upper_ci + 1 WHERE rowid = (
                         SELECT min(rowid) FROM marts.measures WHERE measure_id = 'ash_0_4'
                         AND status = 'published' AND NOT suppressed AND upper_ci IS NOT NULL)""")
        keys = [dg.AssetCheckKey(dg.AssetKey("measure_ash_0_4"), name)
                for name in ("value_within_interval", "every_district_and_group")]
        outcome = {r.check_name: r for r in check_results(con, keys)}
    assert not outcome["value_within_interval"].passed
    assert outcome["value_within_interval"].metadata["offending_rows"].value == 1
    assert outcome["every_district_and_group"].passed


def test_rerunning_loads_nothing(e2e):
    settings = e2e["settings"]
    with warehouse(e2e) as con:
        before = con.sql("SELECT count(*), sum(rows_loaded) FROM meta.provenance").fetchall()
    runs = run_pending(e2e["definitions"], e2e["instance"], settings)
    assert runs == []                                        # nothing new: no run at all
    with warehouse(e2e) as con:
        after = con.sql("SELECT count(*), sum(rows_loaded) FROM meta.provenance").fetchall()
    assert after == before


def test_a_rejected_file_changes_no_measure_and_refreshes_only_the_pages(e2e):
    """An empty resend of a loaded quarter: nothing loads, so raw_nmds_events records no new
    materialization and no measure is recomputed; only the pages are rendered again, for their
    data-quality table."""
    settings, instance = e2e["settings"], e2e["instance"]
    raw = dg.AssetKey("raw_nmds_events")
    materializations = len(instance.fetch_materializations(raw, limit=1000).records)
    with warehouse(e2e) as con:
        measures = con.sql("SELECT * FROM marts.measures").pl()
    resend = settings.landing / "nmds_events" / "nmds_events_2025Q4_resend.csv"
    resend.write_bytes(b"")
    try:
        runs = run_pending(e2e["definitions"], instance, settings)
    finally:
        resend.unlink()
    assert [r.job_name for r in runs] == ["ingest_quarterly", REFRESH_JOB]
    assert all(r.success for r in runs)
    assert len(instance.fetch_materializations(raw, limit=1000).records) == materializations
    refreshed = {e.asset_key for e in runs[1].result.get_asset_materialization_events()}
    assert refreshed == {dg.AssetKey("alt_dashboards")}
    with warehouse(e2e) as con:
        assert con.sql("SELECT * FROM marts.measures").pl().equals(measures)
        (rejected,) = con.sql("SELECT reason FROM meta.file_rejections "
                              "WHERE file_name = 'nmds_events_2025Q4_resend.csv'").fetchall()
    assert "empty file" in rejected[0]


def test_the_refresh_leaves_the_board_papers_to_their_own_run(e2e, monkeypatch):
    """`slm run` renders the pages and prints nothing; `slm papers` (print_papers) then prints a
    PDF for each page, through the asset (Chromium itself: tests/dashboards/test_board_papers)."""
    from pipelines.dashboards.pdf import board_paper
    from pipelines.defs.launch import print_papers

    pages = sorted(e2e["settings"].dashboards.glob("*.html"))
    refreshed = {e.asset_key.to_user_string() for r in e2e["runs"]
                 for e in r.result.get_asset_materialization_events()}
    assert "alt_dashboards" in refreshed and "alt_board_papers" not in refreshed
    assert len(pages) >= 2 and list(e2e["settings"].dashboards.glob("*.pdf")) == []

    def fake_print(page, browser=None):
        board_paper(page).write_bytes(b"%PDF")
        return board_paper(page)

    monkeypatch.setattr("pipelines.dashboards.pdf.print_pdf", fake_print)
    try:
        run = print_papers(e2e["definitions"], e2e["instance"])
        assert run.success
        assert sorted(p.with_suffix(".html") for p in e2e["settings"].dashboards.glob("*.pdf")) == pages
        for pdf in e2e["settings"].dashboards.glob("*.pdf"):
            pdf.unlink()
        # `slm run --papers` (and `slm demo`) with nothing new: the papers alone, in one refresh run
        runs = run_pending(e2e["definitions"], e2e["instance"], e2e["settings"], papers=True)
        assert [(r.job_name, r.success) for r in runs] == [(REFRESH_JOB, True)]
        assert {e.asset_key.to_user_string() for e in runs[0].result.get_asset_materialization_events()} \
            == {"alt_board_papers"}
        assert sorted(p.with_suffix(".html") for p in e2e["settings"].dashboards.glob("*.pdf")) == pages
    finally:
        for pdf in e2e["settings"].dashboards.glob("*.pdf"):
            pdf.unlink()


def test_unit_records_reconcile_with_the_newest_ministry_release(e2e):
    """The generator's newest release restates history from the same unit records, so every
    district and the derived national line must agree within tolerance."""
    with warehouse(e2e) as con:
        counts = con.sql("""SELECT count(*), count(*) FILTER (WHERE beyond_tolerance),
                                   count(*) FILTER (WHERE district_code = '000')
                            FROM marts.moh_reconciliation""").fetchall()[0]
    compared, flagged, national = counts
    assert compared > 1000 and national > 0
    assert flagged == 0


def test_every_measure_recovers_its_planted_truth(e2e):
    """Each measure the generator plants: its 95% intervals cover the expected value in most cells
    (about 95% for honest intervals), and the national cells stay close to it."""
    from pipelines.synthetic.truth_check import compare_with_truth, coverage_summary, read_truth

    truth = read_truth(e2e["settings"].truth)
    with warehouse(e2e) as con:
        measures = con.sql("SELECT * FROM marts.measures").pl()
    summary = coverage_summary(compare_with_truth(measures, truth), truth)
    assert summary.height >= 10
    for row in summary.iter_rows(named=True):
        assert row["cells_with_ci"] > 0, row["measure_id"]
        assert row["ci_coverage"] >= 0.88, row
