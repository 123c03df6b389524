"""The Dagster code location loads, and its graph is the data flow the README describes."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.defs.sources import source_ids
from pipelines.measures.definitions import default_config


@pytest.fixture(scope="module")
def graph():
    return defs().resolve_asset_graph()


def keys(graph) -> set[str]:
    return {k.to_user_string() for k in graph.get_all_asset_keys()}


def test_every_contract_has_a_raw_asset_with_error_and_warning_checks(graph):
    assert len(source_ids()) == 12
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for source in source_ids():
        assert f"raw_{source}" in keys(graph)
        assert (f"raw_{source}", f"{source}_contract") in checks
        assert (f"raw_{source}", f"{source}_contract_warnings") in checks


def test_every_measure_in_measures_yaml_is_an_asset(graph):
    for measure_id in default_config().measures:
        assert f"measure_{measure_id}" in keys(graph), measure_id


def test_measures_read_staging_which_reads_raw(graph):
    parents = {k.to_user_string() for k in graph.get(dg.AssetKey("measure_ash_0_4")).parent_keys}
    assert parents == {"reference_data", "stg_nmds_events", "stg_population"}
    staging = {k.to_user_string() for k in graph.get(dg.AssetKey("stg_nmds_events")).parent_keys}
    assert staging == {"reference_data", "raw_nmds_events"}


def test_dashboards_and_exports_come_after_every_measure(graph):
    for asset in ("alt_dashboards", "measures_export"):
        parents = {k.to_user_string() for k in graph.get(dg.AssetKey(asset)).parent_keys}
        assert {f"measure_{m}" for m in default_config().measures} <= parents


def test_jobs_cover_the_graph():
    names = {j.name for j in defs().resolve_all_job_defs()}
    assert {"ingest_quarterly", "ingest_half_yearly", "ingest_yearly",
            "refresh_measures_and_dashboards"} <= names
