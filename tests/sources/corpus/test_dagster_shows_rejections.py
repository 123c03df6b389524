"""The Dagster UI says a correction was rejected: the raw asset's contract check fails with
"<source> <period> correction rejected (<file>: <reason>); figures use the file loaded on <date>",
and the materialisation lists the rejected files."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.resources import Warehouse
from pipelines.defs.sources import raw_asset
from tests.sources.corpus import damage
from tests.sources.corpus.conftest import copy_files

GOOD = "nmds_events_2025Q3.csv"


def test_a_rejected_correction_fails_the_check_and_names_the_kept_file(clean_extracts, tmp_path):
    landing = tmp_path / "landing"
    copy_files(clean_extracts, landing, "nmds_events", [GOOD])
    damage.write_rows(landing / "nmds_events" / "nmds_events_2025Q3_correction.csv",
                      damage.read_rows(landing / "nmds_events" / GOOD), delimiter=";")
    resource = Warehouse(database=str(tmp_path / "warehouse.duckdb"), landing=str(landing),
                         dashboards=str(tmp_path / "dash"), exports=str(tmp_path / "exports"))
    result = dg.materialize([raw_asset("nmds_events")], resources={"warehouse": resource},
                            partition_key="2025-07-01", raise_on_error=False)
    evaluation = next(e for e in result.get_asset_check_evaluations()
                      if e.check_name == "nmds_events_contract")
    assert evaluation.passed is False
    assert evaluation.description.startswith(
        "nmds_events 2025Q3 correction rejected (nmds_events_2025Q3_correction.csv: fields are "
        "separated by semicolons, not commas")
    assert "; figures use the file loaded on " in evaluation.description
    assert evaluation.description.endswith(f"({GOOD})")
    metadata = result.asset_materializations_for_node("raw_nmds_events")[0].metadata
    assert "nmds_events_2025Q3_correction.csv" in metadata["rejected_files"].value
