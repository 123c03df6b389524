"""The warehouse connection and staging builds, on real DuckDB files."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines import contracts
from pipelines.sources.ingest import ensure_raw_table
from pipelines.staging import build_staging, incremental_column
from pipelines.warehouse import STAGING_SQL, connect, execute, run_staging_sql, scalar
from tests.measures.nmds_builder import NMDS_COLUMNS, event


def test_every_connection_caps_duckdbs_memory(tmp_path, monkeypatch):
    monkeypatch.delenv("SLM_DUCKDB_MEMORY_LIMIT", raising=False)
    with connect(tmp_path / "w.duckdb") as con:
        default = scalar(con, "SELECT current_setting('memory_limit')")
    monkeypatch.setenv("SLM_DUCKDB_MEMORY_LIMIT", "300MB")
    with connect(tmp_path / "w.duckdb") as con:
        configured = scalar(con, "SELECT current_setting('memory_limit')")
    # DuckDB reports the limit in binary units: 1 GB → 953.6 MiB, 300 MB → 286.1 MiB
    assert (default, configured) == ("953.6 MiB", "286.1 MiB")


# --- Staging built per period (pipelines/staging.py) ------------------------------------------

STAGING_NAMES = sorted(p.stem for p in STAGING_SQL.glob("*.sql") if not p.name.startswith("_"))


def _land(con, events: list[dict], file_hash: str) -> None:
    """What ingestion does for one file: replace its periods' rows, each row identified by file
    and row number."""
    frame = pl.DataFrame(events, schema=NMDS_COLUMNS).with_columns(
        _period=pl.col("discharge_date").dt.strftime("%Y") + "Q" + pl.col("discharge_date").dt.quarter().cast(pl.String),
        _file_hash=pl.lit(file_hash), _row_number=pl.int_range(1, len(events) + 1, dtype=pl.Int64))
    con.register("_file", frame)
    execute(con, "DELETE FROM raw.nmds_events WHERE _period IN (SELECT DISTINCT _period FROM _file)")
    execute(con, "INSERT INTO raw.nmds_events BY NAME SELECT * FROM _file")
    con.unregister("_file")


def _same_as_whole(con, name: str) -> None:
    """The table as built per period equals a whole rebuild, row for row (bag equality)."""
    execute(con, f"CREATE OR REPLACE TEMP TABLE _kept AS SELECT * FROM staging.{name}")
    run_staging_sql(con, name)
    for a, b in (("_kept", f"staging.{name}"), (f"staging.{name}", "_kept")):
        assert execute(con, f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})")[0][0] == 0


def _quarter(q: str, n: int, **overrides) -> list[dict]:
    year, quarter = int(q[:4]), int(q[-1])
    return [event(admitted=date(year, 3 * quarter - 2, 3 + i % 20), **overrides) for i in range(n)]


@pytest.fixture
def nmds(con):
    ensure_raw_table(con, contracts.load_contract("nmds_events"))
    return con


def test_a_new_quarter_rebuilds_only_that_quarter(nmds):
    _land(nmds, _quarter("2024Q1", 5) + _quarter("2024Q2", 4), "file-a")
    assert build_staging(nmds, "nmds_events").mode == "whole"      # first build: no record yet
    _land(nmds, _quarter("2024Q3", 3), "file-b")
    build = build_staging(nmds, "nmds_events")
    assert (build.mode, build.periods) == ("periods", ["2024Q3"])
    assert execute(nmds, "SELECT discharge_quarter, count(*) FROM staging.nmds_events GROUP BY 1 ORDER BY 1") == [
        ("2024Q1", 5), ("2024Q2", 4), ("2024Q3", 3)]
    _same_as_whole(nmds, "nmds_events")


def test_a_corrected_quarter_replaces_its_rows_and_nothing_else(nmds):
    _land(nmds, _quarter("2024Q1", 5) + _quarter("2024Q2", 4), "file-a")
    build_staging(nmds, "nmds_events")
    _land(nmds, _quarter("2024Q2", 6, sex="M"), "file-a-corrected")
    build = build_staging(nmds, "nmds_events")
    assert (build.mode, build.periods) == ("periods", ["2024Q2"])
    assert execute(nmds, "SELECT discharge_quarter, sex, count(*) FROM staging.nmds_events GROUP BY ALL ORDER BY 1") == [
        ("2024Q1", "F", 5), ("2024Q2", "M", 6)]
    _same_as_whole(nmds, "nmds_events")


def test_nothing_changed_rebuilds_nothing(nmds):
    _land(nmds, _quarter("2024Q1", 5), "file-a")
    build_staging(nmds, "nmds_events")
    execute(nmds, "INSERT INTO staging.nmds_events BY NAME SELECT * FROM staging.nmds_events LIMIT 1")  # a marker
    assert build_staging(nmds, "nmds_events").mode == "unchanged"
    assert execute(nmds, "SELECT count(*) FROM staging.nmds_events")[0][0] == 6  # left as it was


def test_changed_reference_data_rebuilds_the_whole_table(nmds):
    _land(nmds, _quarter("2024Q1", 5) + _quarter("2024Q2", 4), "file-a")
    build_staging(nmds, "nmds_events")
    execute(nmds, "UPDATE ref.ethnic_groups SET slm3_id = slm3_id || '_x' WHERE group_id = 'maori'")
    build = build_staging(nmds, "nmds_events")
    assert build.mode == "whole" and "no earlier build" in build.why
    _same_as_whole(nmds, "nmds_events")


def test_raw_rows_without_identities_are_always_rebuilt_whole(con):
    frame = pl.DataFrame(_quarter("2024Q1", 2), schema=NMDS_COLUMNS)
    con.register("_events", frame)
    execute(con, "CREATE TABLE raw.nmds_events AS SELECT *, '2024Q1' AS _period FROM _events")
    assert build_staging(con, "nmds_events").mode == "whole"
    assert build_staging(con, "nmds_events").mode == "whole"


def test_the_staging_files_built_per_period_are_the_row_local_ones():
    # moh_release keeps each period's latest release, smokefree ranks babies across periods,
    # mortality and population carry no raw _period: those are rebuilt whole.
    assert {name: incremental_column(name) for name in STAGING_NAMES} == {
        "esr_chlamydia": "quarter", "moh_release": None, "mortality": None,
        "nmds_events": "discharge_quarter", "nnpac_ed": "presentation_quarter", "oral_health": "year",
        "pes_answers": "survey_quarter", "population": None, "smokefree": None,
        "youth_survey": "survey_year"}


@pytest.mark.parametrize("name", STAGING_NAMES)
def test_every_staging_file_builds_from_empty_raw_tables(con, name):
    for source_id in contracts.contract_ids():
        ensure_raw_table(con, contracts.load_contract(source_id))
    assert build_staging(con, name).mode == "whole"
    assert execute(con, f"SELECT count(*) FROM staging.{name}")[0][0] == 0
