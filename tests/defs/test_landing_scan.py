"""The landing sensor: new or changed files (by content hash) become ingestion runs for exactly
the partitions they cover, once each; a busy warehouse makes the sensor wait, not fail."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.defs.automation import landing_folder
from pipelines.defs.landing_scan import RANGE_END_TAG, RANGE_START_TAG, pending_requests
from pipelines.defs.resources import Warehouse
from pipelines.defs.writer_lock import writer_lock
from pipelines.reference import load_reference
from pipelines.sources import ingest_source
from pipelines.warehouse import connect

HEADER = "quarter,dhb_code,age_group,sex,ethnic_group,people_tested,people_positive\n"


def esr_file(landing: Path, quarter: str, tested: int = 10) -> Path:
    folder = landing / "esr_chlamydia"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"esr_chlamydia_{quarter}.csv"
    path.write_text(HEADER + f"{quarter},011,15-19,M,Māori,{tested},2\n{quarter},011,15-19,F,Māori,12,3\n",
                    encoding="utf-8")
    return path


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    for quarter in ("2025Q1", "2025Q2", "2025Q4"):
        esr_file(root, quarter)
    return root


def requests(warehouse_path, landing):
    with connect(warehouse_path) as con:
        return pending_requests(con, landing)


def test_new_files_become_one_run_per_contiguous_partition_range(warehouse_path, landing):
    found = requests(warehouse_path, landing)
    assert [(r.job_name, r.first, r.last) for r in found] == [
        ("ingest_quarterly", "2025-01-01", "2025-04-01"),    # 2025Q1–Q2 together …
        ("ingest_quarterly", "2025-10-01", "2025-10-01"),    # … 2025Q3 has no file: a run of its own
    ]
    assert all(r.asset_keys == [dg.AssetKey("raw_esr_chlamydia")] for r in found)  # only that source
    assert found[0].tags == {RANGE_START_TAG: "2025-01-01", RANGE_END_TAG: "2025-04-01"}
    assert [len(r.files) for r in found] == [2, 1]


def test_a_file_triggers_once_and_again_only_when_its_content_changes(warehouse_path, landing):
    first = {r.run_key for r in requests(warehouse_path, landing)}
    assert {r.run_key for r in requests(warehouse_path, landing)} == first   # same files, same keys
    esr_file(landing, "2025Q4", tested=11)                                  # a corrected 2025Q4
    again = {r.first: r.run_key for r in requests(warehouse_path, landing)}
    assert again["2025-01-01"] in first and again["2025-10-01"] not in first


def test_loaded_files_are_not_requested_again(warehouse_path, landing):
    with connect(warehouse_path) as con:
        load_reference(con)
        ingest_source(con, "esr_chlamydia", landing)
    assert requests(warehouse_path, landing) == []
    esr_file(landing, "2025Q3")
    assert [(r.first, r.last) for r in requests(warehouse_path, landing)] == [("2025-07-01", "2025-07-01")]


def sensor_context(warehouse_path, landing, tmp_path):
    resource = Warehouse(database=str(warehouse_path), landing=str(landing),
                         dashboards=str(tmp_path / "dash"), exports=str(tmp_path / "exports"))
    return dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), resources={"warehouse": resource})


def test_the_sensor_requests_the_runs_with_their_keys(warehouse_path, landing, tmp_path):
    with sensor_context(warehouse_path, landing, tmp_path) as context:
        result = landing_folder(context)
    assert [(r.job_name, r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in result.run_requests] == [
        ("ingest_quarterly", "2025-01-01", "2025-04-01"), ("ingest_quarterly", "2025-10-01", "2025-10-01")]
    assert all(r.run_key and r.asset_selection == [dg.AssetKey("raw_esr_chlamydia")]
               for r in result.run_requests)


def test_the_sensor_skips_while_a_run_writes_the_warehouse(warehouse_path, landing, tmp_path):
    with writer_lock(warehouse_path, {"run_id": "abcdef0123456789", "job": "ingest_quarterly"}), \
            sensor_context(warehouse_path, landing, tmp_path) as context:
        result = landing_folder(context)
    assert isinstance(result, dg.SkipReason)
    assert "warehouse busy" in result.skip_message and "abcdef01" in result.skip_message
