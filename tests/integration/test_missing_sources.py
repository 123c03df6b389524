"""A source that never had a file (an alliance without a Ministry release or a survey yet)."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

pytestmark = pytest.mark.slow


def warehouse(run):
    return duckdb.connect(str(run["settings"].warehouse), read_only=True)


def test_a_source_that_never_had_a_file_leaves_its_readers_empty_not_failed(partial_run):
    """Only admissions, the population and chlamydia testing landed (no Ministry release, survey,
    mortality, ...: an alliance may not have them yet), and the refresh is the daemon's: what the
    automation requests after the landing sensor's ingestion runs (tests/integration/conftest.py).
    Ingestion made every other source's raw and staging table (empty), so every reader runs: the
    refresh succeeds, and the reconciliation that reads the releases materializes with nothing to
    compare."""
    run = partial_run
    assert [r.job_name for r in run["runs"] if not r.success] == []
    refreshed = {e.asset_key for e in run["runs"][-1].result.get_asset_materialization_events()}
    assert dg.AssetKey("moh_reconciliation") in refreshed
    assert dg.AssetKey("stg_moh_release") not in refreshed  # its table was made by ingestion
    with warehouse(run) as con:
        assert con.sql("SELECT count(*) FROM raw.moh_release").fetchall() == [(0,)]
        assert con.sql("SELECT count(*) FROM staging.moh_release").fetchall() == [(0,)]
        assert con.sql("SELECT count(*) FROM marts.moh_reconciliation").fetchall() == [(0,)]
        assert con.sql("SELECT count(*) FROM marts.measures").fetchall()[0][0] > 0
