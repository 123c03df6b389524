"""A broken contributory measure is rejected when the definitions load — naming the file to fix
and the valid choices — and every other measure still publishes (issue 8, item 8)."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest

from pipelines.defs.publish import measures_export
from pipelines.defs.resources import Warehouse
from pipelines.defs.transform import family_asset, measure_families
from pipelines.measures.measure_config import MEASURES_FILE, load_config, statistic_names
from pipelines.reference import load_reference
from pipelines.warehouse import connect, run_staging_sql
from tests.measures.nmds_builder import event, load_nmds, load_population

GOOD_SQL = """
CREATE OR REPLACE TABLE marts.acute_0_4_events AS
SELECT e.event_id, e.district_code, e.group4_id, e.discharge_date AS event_date
FROM staging.nmds_events e
WHERE e.age_years BETWEEN getvariable('age_min_years') AND getvariable('age_max_years');

CREATE OR REPLACE TABLE marts.acute_0_4_cells AS
SELECT * FROM population_rate_cells('marts.acute_0_4_events', 'nmds_events',
                                    getvariable('age_min_years'), getvariable('age_max_years'));
"""
BROKEN_SQL = "CREATE OR REPLACE TABLE marts.bad_sql_cells AS SELEC * FROM staging.nmds_events;"


INJECTION = '=HYPERLINK("http://example.invalid","click")'


def entry(measure_id: str, statistic: str, sql, name: str | None = None) -> str:
    return f"""
  {measure_id}:
    name: '{name or measure_id}'
    definition_version: {measure_id}-v1
    unit: per 1,000 population
    multiplier: 1000
    statistic: {statistic}
    sql: {sql}
    age_min_years: 0
    age_max_years: 4
"""


@pytest.fixture
def broken_config(tmp_path):
    good, bad = tmp_path / "acute_0_4.sql", tmp_path / "bad_sql.sql"
    good.write_text(GOOD_SQL, encoding="utf-8")
    bad.write_text(BROKEN_SQL, encoding="utf-8")
    config_file = tmp_path / "measures.yaml"
    config_file.write_text(
        MEASURES_FILE.read_text(encoding="utf-8")
        + entry("acute_0_4", "crude_rate", good, name=INJECTION)
        + entry("typo_statistic", "crude_rat", good)
        + entry("bad_sql", "crude_rate", bad)
        + entry("no_file", "crude_rate", tmp_path / "missing.sql"),
        encoding="utf-8")
    return load_config(config_file)


def test_each_broken_measure_is_rejected_naming_the_file_and_the_choices(broken_config, tmp_path):
    rejected = broken_config.rejected
    assert sorted(rejected) == ["bad_sql", "no_file", "typo_statistic"]
    typo = rejected["typo_statistic"]
    assert "measures.yaml → measures.typo_statistic" in typo
    assert "'crude_rat'" in typo and ", ".join(statistic_names()) in typo and "did you mean 'crude_rate'" in typo
    assert str(tmp_path / "bad_sql.sql") in rejected["bad_sql"] and "SELEC" in rejected["bad_sql"]
    assert str(tmp_path / "missing.sql") in rejected["no_file"] and "ash_0_4.sql" in rejected["no_file"]
    with pytest.raises(KeyError, match="crude_rat"):
        broken_config.measure("typo_statistic")


def test_the_other_measures_still_load(broken_config):
    assert set(load_config().measures) | {"acute_0_4"} == set(broken_config.measures)


def test_the_other_measures_still_publish_through_dagster(broken_config, tmp_path):
    """The rejected measures have no asset, so nothing waits on them: the export job runs and
    publishes the measures that loaded."""
    database = tmp_path / "warehouse.duckdb"
    with connect(database) as con:
        load_reference(con)
        load_nmds(con, [event() for _ in range(7)] + [event(ethnic_code_1="11") for _ in range(9)],
                  ["2024Q1", "2024Q2", "2024Q3", "2024Q4"])
        load_population(con, [(2024, "011", age, "F", g, 1000) for age in range(5)
                              for g in ("Māori", "European or Other")])
        for name in ("nmds_events", "population"):
            run_staging_sql(con, name)
    warehouse = Warehouse(database=str(database), landing=str(tmp_path / "landing"),
                          dashboards=str(tmp_path / "dashboards"), exports=str(tmp_path / "exports"))
    assets = [family_asset(f) for f in measure_families(broken_config).values()]
    assert not {"measure_typo_statistic", "measure_bad_sql", "measure_no_file"} & {
        k.to_user_string() for a in assets for k in a.keys}
    result = dg.materialize([*assets, measures_export], resources={"warehouse": warehouse},
                            selection=["measure_ash_0_4", "measure_acute_0_4", "measures_export"],
                            raise_on_error=False)
    assert result.success
    export = pl.read_parquet(tmp_path / "exports" / "slm_measures.parquet")
    assert set(export["measure_id"].unique()) == {"ash_0_4", "acute_0_4"}
    # 7 Māori + 9 European/Other events; the groups are suppressed (Pacific 0 would follow
    # from total − Māori − nMnP), the district total is published.
    row = export.filter((pl.col("measure_id") == "acute_0_4") & (pl.col("district_code") == "011")
                        & (pl.col("group_id") == "total")).row(0, named=True)
    assert (row["numerator"], row["denominator"]) == (16, 10000)
    # The measure's name is a formula: the CSV export carries it as text, never as a formula.
    assert row["measure_name"] == INJECTION                     # Parquet: the name as defined
    csv = (tmp_path / "exports" / "slm_measures.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in csv and ",=HYPERLINK" not in csv and ',"=HYPERLINK' not in csv
