"""Several small files checked by Great Expectations in one run (ingest.checked_together).

A clean group passes every file's row rules with one GX run instead of one per file; a file in
which a rule finds a row is checked on its own, exactly as before, and the rest still together.
Either way the warehouse holds the same rows, quarantine, provenance, rule results and verdicts
as loading with no groups. The landing files: tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.contracts import validate
from pipelines.reference import load_reference
from pipelines.sources import ingest, ingest_source
from pipelines.warehouse import connect
from tests.sources.test_ingest import rows_of, write_rows

# What the run records, less the time it ran (checked_at / loaded_at differ between two runs).
RECORDS = {
    "raw.nmds_events": "*",
    "meta.quarantine": "*",
    "meta.provenance": "source_id, file_name, file_hash, period, rows_read, rows_loaded, "
                       "rows_quarantined, status, message",
    "meta.dq_rule_results": "source_id, period, rule_id, severity, passed, unexpected_count, "
                            "rows_evaluated, districts_affected, engine",
    "meta.period_status": "source_id, period, status, blocking_rules",
}


@pytest.fixture
def gx_runs(monkeypatch) -> list[int]:
    """Rows of every Great Expectations run, in order."""
    runs: list[int] = []
    real = validate._GxRuntime.run

    def counted(self, suite, frame):
        runs.append(len(frame))
        return real(self, suite, frame)

    monkeypatch.setattr(validate._GxRuntime, "run", counted)
    return runs


def load(path: Path, landing: Path) -> dict[str, list[tuple]]:
    with connect(path) as con:
        load_reference(con)
        ingest_source(con, "nmds_events", landing)
        return {table: sorted(con.sql(f"SELECT {cols} FROM {table}").fetchall(), key=repr)
                for table, cols in RECORDS.items()}


def test_a_clean_group_is_one_gx_run_and_records_what_file_by_file_records(
        landing, tmp_path, gx_runs, monkeypatch):
    files = sorted((landing / "nmds_events").glob("*.csv"))
    assert len(files) == 4
    together = load(tmp_path / "together.duckdb", landing)
    assert len(gx_runs) == 1                                  # four files, one run
    assert gx_runs[0] == sum(len(rows_of(f)) - 1 for f in files)

    gx_runs.clear()
    monkeypatch.setattr(ingest, "TOGETHER_BYTES", 0)           # no groups: one run per file
    alone = load(tmp_path / "alone.duckdb", landing)
    assert len(gx_runs) == 4
    assert together["raw.nmds_events"] and together["meta.dq_rule_results"]
    assert together == alone


def test_a_file_with_a_finding_is_checked_on_its_own_and_the_rest_together(
        landing, tmp_path, gx_runs, monkeypatch):
    files = sorted((landing / "nmds_events").glob("*.csv"))
    path = landing / "nmds_events" / "nmds_events_2025Q3.csv"
    rows = rows_of(path)
    rows[9][rows[0].index("dhb_of_domicile")] = "999"          # not a district: a row rule finds it
    write_rows(path, rows)
    together = load(tmp_path / "together.duckdb", landing)
    others = sum(len(rows_of(f)) - 1 for f in files if f != path)
    assert gx_runs == [others, len(rows) - 1]                 # three files together, then that one
    found = [(r[1], r[2], r[5]) for r in together["meta.dq_rule_results"] if r[5] and "great" in r[8]]
    assert found == [("2025Q3", "nmds_events.dhb_of_domicile_known", 1)]  # where it is, once

    gx_runs.clear()
    monkeypatch.setattr(ingest, "TOGETHER_BYTES", 0)
    assert together == load(tmp_path / "alone.duckdb", landing)
    assert len(gx_runs) == 4


def test_groups_stop_at_the_size_budget(landing, tmp_path, gx_runs, monkeypatch):
    files = sorted((landing / "nmds_events").glob("*.csv"))
    sizes = [f.stat().st_size for f in files]
    rows = [len(rows_of(f)) - 1 for f in files]
    monkeypatch.setattr(ingest, "TOGETHER_BYTES", max(sizes[0] + sizes[1], sizes[2] + sizes[3]))
    load(tmp_path / "w.duckdb", landing)
    assert gx_runs == [rows[0] + rows[1], rows[2] + rows[3]]  # files 1+2, then 3+4


def test_an_unreadable_file_is_left_out_of_its_group_and_rejected_alone(landing, tmp_path, gx_runs):
    (landing / "nmds_events" / "nmds_events_2025Q2.csv").write_bytes(b"\xff\xfe\x00garbage")
    with connect(tmp_path / "w.duckdb") as con:
        load_reference(con)
        summary = ingest_source(con, "nmds_events", landing)
    assert len(gx_runs) == 1                                  # the three readable files, together
    assert sorted(f.status for f in summary.files) == ["loaded", "loaded", "loaded", "rejected"]
