"""A straightforward pandas implementation of ASH 0–4 and crude acute bed days, for timing.

What a competent analyst would write without this pipeline: read the landed NMDS and population
CSVs with pandas, derive age, apply the measures.yaml inclusion rules, and sum per district ×
rolling 12-month window (total population only: no ethnic groups, no intervals, no suppression).
It is the yardstick for "measures ≥ 10× pandas" and is never used for a published figure.

The bench checks it did the same work: its per-quarter ASH event counts and bed days must equal
marts.ash_0_4_events and marts.acute_bed_days_events of the pipeline run on the same files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.config import REFERENCE_DIR
from pipelines.measures.measure_config import default_config

NMDS_COLUMNS = ["dhb_of_domicile", "date_of_birth", "admission_date", "discharge_date", "event_type",
                "admission_source", "admission_type", "health_specialty", "principal_diagnosis",
                "purchaser_code"]


def read_files(landing: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    events = pd.concat(
        [pd.read_csv(p, dtype=str, usecols=NMDS_COLUMNS, keep_default_na=False, na_values=[""])
         for p in sorted((landing / "nmds_events").glob("*.csv"))], ignore_index=True)
    population = pd.concat(
        [pd.read_csv(p, dtype={"dhb_code": str}) for p in sorted((landing / "population").glob("*.csv"))],
        ignore_index=True)
    return events, population


def _settings(measure_id: str) -> dict:
    return dict(default_config().measure(measure_id).sql_variables())


def _prepare(events: pd.DataFrame) -> pd.DataFrame:
    e = events.copy()
    for c in ("date_of_birth", "admission_date", "discharge_date"):
        e[c] = pd.to_datetime(e[c], format="%Y-%m-%d", errors="coerce")
    dob, adm = e["date_of_birth"], e["admission_date"]
    months = (adm.dt.year - dob.dt.year) * 12 + (adm.dt.month - dob.dt.month)
    e["age_months"] = months - (adm.dt.day < dob.dt.day).astype(int)
    e["age_years"] = e["age_months"] // 12
    e["los_days"] = (e["discharge_date"] - e["admission_date"]).dt.days
    e["quarter"] = e["discharge_date"].dt.to_period("Q").astype(str)
    return e


def ash_events(e: pd.DataFrame) -> pd.DataFrame:
    s = _settings("ash_0_4")
    codes = pd.read_csv(REFERENCE_DIR / "code_lists" / "ash_conditions_v1.csv", dtype=str)
    x = e[e["age_years"].between(s["age_min_years"], s["age_max_years"])
          & e["event_type"].isin(s["event_types"])
          & e["purchaser_code"].isin(s["public_purchaser_codes"])]
    if s["exclude_transfers_in"]:
        x = x[x["admission_source"] != "T"]
    if s["exclude_ssed"]:
        x = x[~(x["health_specialty"].isin(s["ssed_specialties"]) & (x["los_days"] <= s["ssed_max_los_days"]))]
    hits = []
    for code in codes.itertuples():  # a prefix match per code, as the code list says
        lo = int(code.age_min_months)
        hi = int(code.age_max_months) if isinstance(code.age_max_months, str) else None
        ok = x["principal_diagnosis"].str.startswith(code.icd10am_code, na=False) & (x["age_months"] >= lo)
        if hi is not None:
            ok &= x["age_months"] <= hi
        types = s["admission_types"] + (s["elective_admission_types"] if code.includes_elective == "yes" else [])
        ok &= x["admission_type"].isin(types)
        hits.append(x.index[ok.to_numpy()])
    index = pd.Index([]).append(hits).unique() if hits else pd.Index([])
    return x.loc[index]


def bed_day_events(e: pd.DataFrame) -> pd.DataFrame:
    s = _settings("acute_bed_days")
    groups = pd.read_csv(REFERENCE_DIR / "specialty_groups.csv", dtype=str)
    excluded = set(groups.loc[groups["specialty_group"].isin(s["exclude_specialty_groups"]), "health_specialty"])
    x = e[e["admission_type"].isin(s["admission_types"]) & e["event_type"].isin(s["event_types"])
          & e["purchaser_code"].isin(s["public_purchaser_codes"]) & ~e["health_specialty"].isin(excluded)]
    if s["exclude_ssed"]:
        x = x[~(x["health_specialty"].isin(s["ssed_specialties"]) & (x["los_days"] <= s["ssed_max_los_days"]))]
    return x.assign(bed_days=x["los_days"])


def rolling_rates(counts: pd.DataFrame, value: str, population: pd.DataFrame, ages: tuple[int, int] | None,
                  multiplier: float) -> pd.DataFrame:
    """Rolling 4-quarter sums per district over quarters, divided by the 30 June population."""
    per_q = counts.groupby(["dhb_of_domicile", "quarter"])[value].sum().unstack(fill_value=0)
    rolling = per_q.T.rolling(4).sum().T.dropna(axis=1).stack().rename("numerator").reset_index()
    end = pd.PeriodIndex(rolling["quarter"], freq="Q")
    rolling["pop_year"] = end.year - (end.quarter == 1).astype(int)
    pop = population if ages is None else population[
        (population["age_lower"] >= ages[0]) & (population["age_upper"] <= ages[1])]
    pop = pop.groupby(["dhb_code", "year"])["population"].sum().rename("denominator").reset_index()
    out = rolling.merge(pop, left_on=["dhb_of_domicile", "pop_year"], right_on=["dhb_code", "year"])
    out["rate"] = out["numerator"] / out["denominator"] * multiplier
    return out


def compute(events: pd.DataFrame, population: pd.DataFrame) -> dict[str, pd.DataFrame]:
    e = _prepare(events)
    ash = ash_events(e).assign(n=1)
    beds = bed_day_events(e)
    return {
        "ash_events": ash, "bed_day_events": beds,
        "ash_0_4": rolling_rates(ash, "n", population, (0, 4), 100_000),
        "acute_bed_days_crude": rolling_rates(beds, "bed_days", population, None, 1_000),
    }
