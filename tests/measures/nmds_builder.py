"""Hand-made NMDS events and populations for pinning measure rules (no generator involved)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

import polars as pl

from pipelines.warehouse import execute

NMDS_COLUMNS = {
    "event_id": pl.String, "nhi_encrypted": pl.String, "date_of_birth": pl.Date, "sex": pl.String,
    "ethnic_code_1": pl.String, "ethnic_code_2": pl.String, "ethnic_code_3": pl.String,
    "domicile_code": pl.String, "dhb_of_domicile": pl.String, "facility_code": pl.String,
    "dhb_of_service": pl.String, "admission_date": pl.Date, "discharge_date": pl.Date,
    "event_type": pl.String, "admission_source": pl.String, "admission_type": pl.String,
    "health_specialty": pl.String, "principal_diagnosis": pl.String, "other_diagnosis_1": pl.String,
    "other_diagnosis_2": pl.String, "other_diagnosis_3": pl.String, "external_cause_code": pl.String,
    "purchaser_code": pl.String, "end_type": pl.String,
}
_ids = count(1)


def event(age_months: int = 24, admitted: date = date(2024, 5, 15), los_days: int = 2,
          **overrides) -> dict:
    """A counted ASH event unless overridden: acute, inpatient, public, principal J18 pneumonia."""
    dob = _birth_date(admitted, age_months)
    row = {
        "event_id": f"E{next(_ids):08d}", "nhi_encrypted": "a" * 64, "date_of_birth": dob, "sex": "F",
        "ethnic_code_1": "21", "ethnic_code_2": None, "ethnic_code_3": None,
        "domicile_code": "1011", "dhb_of_domicile": "011", "facility_code": "F04011",
        "dhb_of_service": "011", "admission_date": admitted,
        "discharge_date": admitted + timedelta(days=los_days), "event_type": "IP",
        "admission_source": "R", "admission_type": "AC", "health_specialty": "P10",
        "principal_diagnosis": "J189", "other_diagnosis_1": None, "other_diagnosis_2": None,
        "other_diagnosis_3": None, "external_cause_code": None, "purchaser_code": "35",
        "end_type": "DR",
    }
    row.update(overrides)
    return row


def _birth_date(on: date, age_months: int) -> date:
    """A birth date making the child exactly `age_months` completed months old on `on`."""
    y, m = divmod(on.month - 1 - age_months, 12)
    return date(on.year + y, m + 1, min(on.day, 28))


def load_nmds(con, events: list[dict], quarters: list[str], status: str = "pass") -> None:
    frame = pl.DataFrame(events, schema=NMDS_COLUMNS)
    con.register("_events", frame)
    execute(con, "CREATE OR REPLACE TABLE raw.nmds_events AS SELECT *, "
                 "strftime(discharge_date, '%Y') || 'Q' || quarter(discharge_date) AS _period FROM _events")
    con.unregister("_events")
    for q in quarters:
        execute(con, "INSERT OR REPLACE INTO meta.period_status VALUES ('nmds_events', ?, ?, [], now())",
                [q, status])


def load_population(con, rows: list[tuple]) -> None:
    """rows: (year, dhb_code, age, sex, ethnic_group label, population)."""
    frame = pl.DataFrame(rows, schema=["year", "dhb_code", "age_lower", "sex", "ethnic_group", "population"],
                         orient="row").with_columns(pl.col("age_lower").alias("age_upper"))
    con.register("_pop", frame)
    execute(con, "CREATE OR REPLACE TABLE raw.population AS SELECT * FROM _pop")
    con.unregister("_pop")
