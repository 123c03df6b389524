"""Broken files through to the published measures: a renamed column withholds only the windows
of the measure that reads it, rejected and out-of-range files change nothing, and every other
cell is identical to a run on the clean files (compared cell by cell).

The clean warehouse is built once; the damaged run copies it and lands the broken files, so only
they are ingested again (content hash), as in production."""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.measures.measure_config import default_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import group_sets, publish
from pipelines.sources import ingest_source
from pipelines.warehouse import connect, run_staging_sql
from tests.sources.corpus import damage
from tests.sources.corpus.conftest import AS_OF, copy_files

QUARTERS = ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]  # windows ending 2025Q3 and 2025Q4
MEASURES = ["ash_0_4", "youth_self_harm"]


def refresh(con) -> dict[str, pl.DataFrame]:
    """Staging and the two NMDS measures, as the refresh job computes them."""
    for table in ("population", "nmds_events"):
        run_staging_sql(con, table)
    config = default_config()
    out = {}
    for measure_id in MEASURES:
        measure = config.measure(measure_id)
        run_measure_sql(con, measure)
        out[measure_id] = publish(con, measure, config, group_sets(con, measure)).sort(
            "period_end", "district_code", "group_id", "breakdown")
    return out


def ingest(con, landing) -> dict:
    files = {}
    for source_id in ("population", "nmds_events"):
        for f in ingest_source(con, source_id, landing, as_of=AS_OF).files:
            files[f.file_name] = f
    return files


@pytest.fixture(scope="module")
def runs(clean_extracts, tmp_path_factory):
    from pipelines.reference import load_reference

    root = tmp_path_factory.mktemp("measures")
    landing = root / "landing"
    copy_files(clean_extracts, landing, "nmds_events", [f"nmds_events_{q}.csv" for q in QUARTERS])
    copy_files(clean_extracts, landing, "population", ["population_erp_2024.csv",
                                                       "population_erp_2025.csv"])
    with connect(root / "clean.duckdb") as con:
        load_reference(con)
        ingest(con, landing)
        clean = refresh(con)

    shutil.copy(root / "clean.duckdb", root / "damaged.duckdb")
    nmds = landing / "nmds_events"
    q4 = damage.read_rows(nmds / "nmds_events_2025Q4.csv")
    damage.write_rows(nmds / "nmds_events_2025Q4_v2.csv",  # a corrected file, column renamed
                      damage.rename_column([list(r) for r in q4], "external_cause_code", "external_cause"))
    damage.write_rows(nmds / "nmds_events_2025Q3_v2.csv",
                      damage.read_rows(nmds / "nmds_events_2025Q3.csv"), delimiter=";")
    (nmds / "nmds_events_2025Q2_v2.csv").write_bytes(b"")
    rows = [list(r) for r in damage.read_rows(nmds / "nmds_events_2025Q1.csv")]
    for c in ("admission_date", "discharge_date"):
        for r in rows[1:]:
            r[rows[0].index(c)] = "2031" + r[rows[0].index(c)][4:]
    damage.write_rows(nmds / "nmds_events_2031Q1.csv", rows)
    with connect(root / "damaged.duckdb") as con:
        files = ingest(con, landing)
        damaged = refresh(con)
        periods = [p for (p,) in con.sql("SELECT DISTINCT period FROM meta.period_status "
                                         "WHERE source_id = 'nmds_events' ORDER BY 1").fetchall()]
    return {"clean": clean, "damaged": damaged, "files": files, "periods": periods}


def test_the_broken_files_were_rejected_and_the_renamed_one_loaded(runs):
    status = {name: f.status for name, f in runs["files"].items() if "_v2" in name or "2031" in name}
    assert status == {"nmds_events_2025Q4_v2.csv": "loaded", "nmds_events_2025Q3_v2.csv": "rejected",
                      "nmds_events_2025Q2_v2.csv": "rejected", "nmds_events_2031Q1.csv": "rejected"}
    assert runs["periods"] == QUARTERS  # no 2031 partition, period or default


def test_measures_not_reading_the_column_are_unchanged_cell_by_cell(runs):
    assert_frame_equal(runs["damaged"]["ash_0_4"], runs["clean"]["ash_0_4"])


def test_the_measure_reading_it_withholds_only_the_window_with_that_quarter(runs):
    clean, damaged = runs["clean"]["youth_self_harm"], runs["damaged"]["youth_self_harm"]
    affected = pl.col("period_end") == date(2025, 12, 31)
    assert_frame_equal(damaged.filter(~affected), clean.filter(~affected))
    hit = damaged.filter(affected)
    assert hit.height > 0 and (hit["status"] == "withheld").all()
    assert hit["value"].null_count() == hit.height
    assert hit["status_reason"].str.contains(
        "nmds_events.schema.external_cause_code.missing (nmds_events_2025Q4_v2.csv has no "
        "external_cause_code for 2025Q4)", literal=True).all()
    assert (clean.filter(affected)["status"] == "published").all()
