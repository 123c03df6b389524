"""The Dagster code location loads, and its graph is the data flow the README describes."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.defs.sources import source_ids
from pipelines.measures.measure_config import default_config


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


def test_a_measure_family_is_one_multi_asset_that_runs_its_sql_once(graph):
    from pipelines.config import SQL_DIR
    from pipelines.defs.transform import measure_families

    definitions = defs()
    family = definitions.resolve_assets_def("measure_acute_bed_days")
    assert {k.to_user_string() for k in family.keys} == {
        "measure_acute_bed_days", "measure_acute_bed_days_crude", "measure_acute_bed_days_who"}
    assert len(family.op.output_defs) == 3 and not family.can_subset      # one op, one SQL run
    config = default_config()
    for head, members in measure_families().items():
        assert [m.measure_id for m in members[1:]] == config.measure(head).settings.get("also_publish", [])
    published = {m.measure_id for f in measure_families().values() for m in f}
    assert published == set(config.measures)                                 # every measure, once
    assert [p.name for p in (SQL_DIR / "measures").iterdir() if p.is_symlink()] == []


def test_a_family_member_reading_a_different_setting_is_refused(tmp_path):
    import yaml

    from pipelines.config import MEASURES_FILE
    from pipelines.defs.transform import measure_families
    from pipelines.measures.measure_config import load_config

    raw = yaml.safe_load(MEASURES_FILE.read_text(encoding="utf-8"))
    raw["measures"]["acute_bed_days_crude"]["bed_day_rule"] = "same_day_as_one"  # SQL reads it
    path = tmp_path / "measures.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="acute_bed_days_crude .* bed_day_rule"):
        measure_families(load_config(path))


def test_equity_and_trend_are_assets_after_every_measure_and_before_the_outputs(graph):
    measures = {f"measure_{m}" for m in default_config().measures}
    for mart in ("marts_equity", "marts_trend"):
        assert {k.to_user_string() for k in graph.get(dg.AssetKey(mart)).parent_keys} == measures
    for asset in ("alt_dashboards", "measures_export"):
        parents = {k.to_user_string() for k in graph.get(dg.AssetKey(asset)).parent_keys}
        assert {"marts_equity", "marts_trend"} <= parents


def test_every_measure_carries_the_mart_checks(graph):
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for measure_id, measure in default_config().measures.items():
        wanted = {"value_within_interval", "hidden_rows_carry_no_value", "every_district_and_group"}
        if measure.statistic == "proportion":
            wanted.add("numerator_within_denominator")
        assert {name for asset, name in checks if asset == f"measure_{measure_id}"} == wanted, measure_id


def test_sensor_schedule_and_automation_run_without_a_person():
    definitions = defs()
    sensors = {s.name: s for s in definitions.sensors}
    assert {"landing_folder", "refresh_downstream", "mark_killed_runs_failed"} <= set(sensors)
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())
    (schedule,) = definitions.schedules
    assert schedule.name == "quarterly_refresh" and schedule.job_name == "refresh_measures_and_dashboards"


def test_every_asset_after_the_raw_data_refreshes_by_automation(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.to_user_string().startswith("raw_") or key.to_user_string() == "reference_data":
            assert node.automation_condition is None, key       # the landing sensor, slm run, schedule
        else:
            assert node.automation_condition is not None, key


def test_resources_name_their_environment_variables(monkeypatch):
    from pipelines.defs.resources import configured_warehouse

    monkeypatch.setenv("SLM_WAREHOUSE", "/tmp/elsewhere.duckdb")
    resource = configured_warehouse()
    assert isinstance(resource.database, dg.EnvVar) and resource.database.env_var_name == "SLM_WAREHOUSE"
    monkeypatch.delenv("SLM_WAREHOUSE")
    assert configured_warehouse().database.endswith("warehouse.duckdb")     # the default path
