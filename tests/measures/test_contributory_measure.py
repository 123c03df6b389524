"""An alliance adds its own contributory measure with SQL and a measures.yaml entry only."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines.measures.measure_config import MEASURES_FILE, load_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import publish
from pipelines.warehouse import run_staging_sql
from tests.measures.nmds_builder import event, load_nmds, load_population

SQL = """
-- Contributory measure: acute admissions of 0–4 year olds per 1,000 (any diagnosis).
CREATE OR REPLACE TABLE marts.acute_0_4_events AS
SELECT e.event_id, e.district_code, e.group4_id, e.discharge_date AS event_date
FROM staging.nmds_events e
WHERE e.age_years BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
  AND list_contains(getvariable('admission_types'), e.admission_type);

CREATE OR REPLACE TABLE marts.acute_0_4_cells AS
SELECT * FROM population_rate_cells('marts.acute_0_4_events', 'nmds_events',
                                    getvariable('age_min_years'), getvariable('age_max_years'));
"""


def test_a_contributory_measure_needs_no_python(con, tmp_path):
    sql = tmp_path / "acute_0_4.sql"
    sql.write_text(SQL, encoding="utf-8")
    yaml_text = MEASURES_FILE.read_text(encoding="utf-8") + f"""
  acute_0_4:
    name: Acute admissions, 0–4 years (contributory)
    definition_version: acute-0-4-v1
    unit: per 1,000 population
    multiplier: 1000
    statistic: crude_rate
    sql: {sql}
    age_min_years: 0
    age_max_years: 4
    admission_types: [AC]
"""
    config_file = tmp_path / "measures.yaml"
    config_file.write_text(yaml_text, encoding="utf-8")
    config = load_config(config_file)
    measure = config.measure("acute_0_4")

    # 7 acute admissions (one not acute) among 5,000 children.
    events = [event(principal_diagnosis="S0600") for _ in range(7)] + [event(admission_type="WN")]
    load_nmds(con, events, ["2024Q1", "2024Q2", "2024Q3", "2024Q4"])
    load_population(con, [(2024, "011", age, "F", "Māori", 1000) for age in range(5)])
    for name in ("nmds_events", "population"):
        run_staging_sql(con, name)
    run_measure_sql(con, measure)
    rows = publish(con, measure, config)

    row = rows.filter((pl.col("district_code") == "011") & (pl.col("group_id") == "maori")).row(0, named=True)
    assert (row["numerator"], row["denominator"]) == (7, 5000)
    assert row["value"] == pytest.approx(7 / 5000 * 1000)
    assert row["period_end"] == date(2024, 12, 31)
    assert row["definition_version"] == "acute-0-4-v1"
