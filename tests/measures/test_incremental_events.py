"""Measure events tables built per period (pipelines/measures/incremental_events.py).

One year of the small synthetic preset goes through the real ingestion and staging; its last
quarter is held back, then lands as a new quarter would. Every declared table must then equal a
whole rebuild, row for row, whatever was rebuilt per period.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.config import SQL_DIR
from pipelines.defs.transform import measure_families
from pipelines.measures.incremental_events import declared, run_statements
from pipelines.measures.measure_config import Measure
from pipelines.measures.run_sql import run_measure_sql
from pipelines.reference import load_reference
from pipelines.sources import ingest_source
from pipelines.staging import build_staging, ensure_source_tables
from pipelines.synthetic import generate
from pipelines.warehouse import connect, execute

SOURCES = ["population", "nmds_events", "nnpac_ed", "pes_inpatient"]  # one survey is enough for its table
STAGING = ["population", "nmds_events", "nnpac_ed", "pes_answers"]
NEW_QUARTER = "2025Q4"
# family (its head measure) → the table its SQL declares `incremental by`, and the column
DECLARED = {
    "acute_bed_days": ("acute_bed_days_events", "discharge_quarter"),
    "ash_0_4": ("ash_0_4_events", "discharge_quarter"),
    "patient_experience": ("patient_experience_respondents", "survey_quarter"),
    "youth_alcohol_ed": ("youth_alcohol_ed_presentations", "presentation_quarter"),
    "youth_self_harm": ("youth_self_harm_events", "discharge_quarter"),
}


def _refresh(con) -> dict[str, list]:
    """Staging, then every declared family's SQL: table → its builds."""
    for name in STAGING:
        build_staging(con, name)
    heads = measure_families()
    return {DECLARED[h][0]: run_measure_sql(con, heads[h][0]) for h in DECLARED}


def _ingest(con, landing: Path) -> None:
    for source in SOURCES:
        ingest_source(con, source, landing)


@pytest.fixture(scope="module")
def before_new_quarter(tmp_path_factory) -> tuple[Path, Path]:
    """(warehouse holding three quarters, refreshed; landing folder with the fourth added)."""
    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    generate(preset="small", out_dir=landing, truth_dir=root / "truth", years=1,
             end_quarter=NEW_QUARTER, seed=11, sources=SOURCES)
    held = root / "held"
    for f in landing.glob(f"*/*{NEW_QUARTER}*"):
        (held / f.parent.name).mkdir(parents=True, exist_ok=True)
        f.rename(held / f.parent.name / f.name)
    warehouse = root / "before.duckdb"
    with connect(warehouse) as con:
        load_reference(con)
        ensure_source_tables(con)   # as ingestion does: every raw table, empty if never sent
        _ingest(con, landing)
        builds = _refresh(con)
    assert {t: [b.mode for b in bs] for t, bs in builds.items()} == {t: ["whole"] for t, _ in DECLARED.values()}
    for source_folder in held.iterdir():
        for f in source_folder.iterdir():
            f.rename(landing / source_folder.name / f.name)
    return warehouse, landing


@pytest.fixture
def after_new_quarter(before_new_quarter, tmp_path):
    warehouse, landing = before_new_quarter
    copy = tmp_path / "w.duckdb"
    shutil.copyfile(warehouse, copy)
    with connect(copy) as con:
        _ingest(con, landing)
        yield con


def _equals_whole(con, table: str, head: str) -> int:
    """Rebuild the table whole (its record dropped) and compare with what was kept; returns rows."""
    execute(con, f"CREATE OR REPLACE TEMP TABLE _kept AS SELECT * FROM marts.{table}")
    execute(con, "DELETE FROM meta.mart_periods WHERE table_name = ?", [table])
    [build] = run_measure_sql(con, measure_families()[head][0])
    assert build.mode == "whole"
    for a, b in (("_kept", f"marts.{table}"), (f"marts.{table}", "_kept")):
        assert execute(con, f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})")[0][0] == 0
    return execute(con, f"SELECT count(*) FROM marts.{table}")[0][0]


def test_a_new_quarter_rebuilds_only_that_quarter_and_equals_a_whole_build(after_new_quarter):
    con = after_new_quarter
    builds = _refresh(con)
    assert {t: [(b.mode, b.periods) for b in bs] for t, bs in builds.items()} == {
        t: [("periods", [NEW_QUARTER])] for t, _ in DECLARED.values()}
    for head, (table, column) in DECLARED.items():
        assert _equals_whole(con, table, head) > 0
        quarters = [q for (q,) in execute(con, f"SELECT DISTINCT {column} FROM marts.{table} ORDER BY 1")]
        assert quarters[-1] == NEW_QUARTER and len(quarters) >= 4, table



def test_a_corrected_quarter_is_rebuilt_alone_and_equals_a_whole_build(after_new_quarter, before_new_quarter):
    con = after_new_quarter
    _refresh(con)
    landing = before_new_quarter[1]
    sent = landing / "nmds_events" / "nmds_events_2025Q3.csv"
    resend = sent.with_name("nmds_events_2025Q3_resend.csv")   # a later name: it replaces 2025Q3
    lines = sent.read_text(encoding="utf-8").splitlines(keepends=True)
    resend.write_text("".join(lines[:-50]), encoding="utf-8")
    try:
        ingest_source(con, "nmds_events", landing)
        builds = _refresh(con)
    finally:
        resend.unlink()
    nmds_tables = [t for h, (t, _) in DECLARED.items() if h not in ("patient_experience", "youth_alcohol_ed")]
    assert {t: [(b.mode, b.periods) for b in builds[t]] for t in nmds_tables} == {
        t: [("periods", ["2025Q3"])] for t in nmds_tables}
    assert [b.mode for b in builds["patient_experience_respondents"]] == ["unchanged"]
    for head in ("acute_bed_days", "ash_0_4", "youth_self_harm"):
        _equals_whole(con, DECLARED[head][0], head)

def test_nothing_changed_rebuilds_nothing(after_new_quarter):
    con = after_new_quarter
    _refresh(con)
    assert all(b.mode == "unchanged" for bs in _refresh(con).values() for b in bs)


def test_a_changed_definition_choice_rebuilds_whole(after_new_quarter):
    con = after_new_quarter
    _refresh(con)
    head = measure_families()["ash_0_4"][0]
    narrower = Measure(head.measure_id, {**head.settings, "age_max_years": 3})
    [build] = run_measure_sql(con, narrower)
    assert build.mode == "whole" and "no earlier build" in build.why
    assert execute(con, "SELECT max(age_years) FROM staging.nmds_events e JOIN marts.ash_0_4_events a "
                        "USING (event_id)")[0][0] <= 3
    [build] = run_measure_sql(con, head)   # and back: whole again, for the old definition's record is gone
    assert build.mode == "whole"


def test_a_staging_table_built_whole_keeps_its_events_whole(after_new_quarter):
    con = after_new_quarter
    _refresh(con)
    execute(con, "DELETE FROM meta.staging_periods WHERE table_name = 'nmds_events'")
    [build] = run_measure_sql(con, measure_families()["ash_0_4"][0])
    assert build.mode == "whole" and "staging.nmds_events is built whole" in build.why


def test_the_declared_tables_are_the_row_local_ones():
    # The other measures' rows pick across periods (smokefree babies by first visit), read
    # sources built whole (mortality), or have no events table of their own.
    found = {p.stem: declared(p.read_text(encoding="utf-8"))
             for p in sorted((SQL_DIR / "measures").glob("[!_]*.sql"))}
    assert {name: d for name, d in found.items() if d} == {
        head: {table: column} for head, (table, column) in DECLARED.items()}


def test_a_declaration_over_two_staging_tables_is_refused(tmp_path):
    sql = ("-- incremental by: discharge_quarter\n"
           "CREATE OR REPLACE TABLE marts.x_events AS SELECT e.* FROM staging.nmds_events e "
           "JOIN staging.population p USING (district_code);\n")
    with connect(tmp_path / "w.duckdb") as con, pytest.raises(ValueError, match="reads 2 staging tables"):
        run_statements(con, sql, [sql])

