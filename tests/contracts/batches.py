"""Hand-made batches for every contract: clean rows, and one defect row per rule.

A clean batch has one row per district (row i is in district i). A defect row is an extra clean
row (index ≥ 20) with one change that breaks exactly one rule. Aggregate cells vary their key
columns with the row index so extra rows never duplicate a cell by accident.

Restricted values are distinctive on purpose (NHI = sha256 of 'patient-i', births from
1957-03-14) so tests can assert they never appear in reasons, results or reports.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.contracts.codesets import resolve
from pipelines.contracts.model import Contract, Rule
from pipelines.contracts.sql import quote
from pipelines.periods import sql_period_label

DISTRICTS = resolve("ref.districts.code3")
GROUP4 = resolve("ref.ethnicity_level2.group4")
N_CLEAN = len(DISTRICTS)


def nhi(i: int) -> str:
    return hashlib.sha256(f"patient-{i}".encode()).hexdigest()


def birth(i: int) -> date:
    return date(1957, 3, 14) + timedelta(days=i)


def combo(i: int, n: int) -> int:
    """Key combination of row i: differs from every other row's in the same district."""
    return (i + i // N_CLEAN) % n


ETHNIC = {"ethnic_code_1": "21", "ethnic_code_2": "11", "ethnic_code_3": None}


def _nmds(i: int, d: str) -> dict:
    return {
        "event_id": f"E2024{i:09d}", "nhi_encrypted": nhi(i), "date_of_birth": birth(i), "sex": "F",
        **ETHNIC, "domicile_code": "1" + d, "dhb_of_domicile": d, "facility_code": f"F01{d}",
        "dhb_of_service": d, "admission_date": date(2024, 2, 10), "discharge_date": date(2024, 2, 12),
        "event_type": "IP", "admission_source": "R", "admission_type": "AC", "health_specialty": "M00",
        "principal_diagnosis": "J181", "other_diagnosis_1": "E119", "other_diagnosis_2": None,
        "other_diagnosis_3": None, "external_cause_code": None, "purchaser_code": "35", "end_type": "DR",
    }


def _population(i: int, d: str) -> dict:
    age = combo(i, 90)
    return {"year": 2024, "dhb_code": d, "age_lower": age, "age_upper": age, "sex": "F",
            "ethnic_group": "Māori", "population": 100 + i}


def _pho(i: int, d: str) -> dict:
    return {"quarter": "2024Q1", "pho_id": "PHO01", "practice_id": f"P{i:05d}", "dhb_code": d,
            "age_band": "25-29", "sex": "F", "ethnic_group": "Pacific", "enrolled": 50 + i}


def _moh(i: int, d: str) -> dict:
    c = combo(i, 40)
    age_group = ("00-04", "all")[(c // 5) % 2]
    return {"release_id": "2024Q4", "period_end": (date(2024, 3, 31), date(2024, 6, 30),
                                                   date(2024, 9, 30), date(2024, 12, 31))[c // 10],
            "dhb_code": d, "ethnic_group": (*GROUP4, "Total")[c % 5], "age_group": age_group,
            "numerator": 10.0, "denominator": 5000.0,
            "rate": 200.0 if age_group == "00-04" else 2.0}


def _mortality(i: int, d: str) -> dict:
    return {"death_id": f"D{i:08d}", "nhi_encrypted": nhi(i), "sex": "M", **ETHNIC,
            "domicile_code": "1" + d, "dhb_of_domicile": d, "date_of_death": date(2023, 11, 2),
            "age_at_death": 66, "registration_year": 2024, "underlying_cause": "I219"}


def _pes(survey: str, items: int):
    answers = {f"q{k:02d}": int(resolve(f"ref.pes_items.answer_code[survey={survey},item=q{k:02d}]")[0])
               for k in range(1, items + 1)}

    def row(i: int, d: str) -> dict:
        return {"respondent_id": f"R{i:07d}", "survey": survey, "survey_quarter": "2024Q1",
                "dhb_code": d, "ethnic_group": "Asian", "age_group": "45-64", "sex": "F",
                "weight": 1.5, **answers}
    return row


def _smokefree(i: int, d: str) -> dict:
    born = date(2024, 2, 1) + timedelta(days=i)  # in 2024H1; restricted like every birth date
    return {"record_id": f"S{i:07d}", "baby_nhi_encrypted": nhi(i), "date_of_birth": born,
            "contact_date": born + timedelta(days=42), "smokefree_household": "Y", "source": "WCTO",
            "dhb_of_domicile": d, **ETHNIC}


def _esr(i: int, d: str) -> dict:
    c = combo(i, 32)
    return {"quarter": "2024Q1", "dhb_code": d, "age_group": ("15-19", "20-24")[c % 2],
            "sex": ("M", "F", "U", "I")[(c // 2) % 4], "ethnic_group": GROUP4[(c // 8) % 4],
            "people_tested": 40, "people_positive": 3}


def _nnpac(i: int, d: str) -> dict:
    return {"event_id": f"ED{i:09d}", "nhi_encrypted": nhi(i), "date_of_birth": birth(i), "sex": "M",
            **ETHNIC, "dhb_of_domicile": d, "dhb_of_service": d,
            "presentation_date": date(2024, 2, 20), "purchase_unit": "ED03001",
            "attendance_code": "ATT", "service_type": None, "alcohol_related": "N"}


def _oral(i: int, d: str) -> dict:
    c = combo(i, 20)
    return {"year": 2024, "dhb_code": d, "age": 13 + c % 5, "ethnic_group": GROUP4[c // 5],
            "adolescents_examined": 30 + i}


def _youth(i: int, d: str) -> dict:
    return {"respondent_id": f"Y{i:07d}", "survey_year": 2024, "dhb_code": d, "age": 17,
            "ethnic_group": "Māori", "service": "CAMHS", "q_safe_supported": 4}


BUILDERS = {
    "nmds_events": _nmds, "population": _population, "pho_enrolment": _pho, "moh_release": _moh,
    "mortality": _mortality, "pes_inpatient": _pes("inpatient", 20),
    "pes_primary_care": _pes("primary_care", 16), "smokefree": _smokefree,
    "esr_chlamydia": _esr, "nnpac_ed": _nnpac, "oral_health": _oral, "youth_survey": _youth,
}

# Rule-specific changes: derived values (the generic breakers cannot know what to change), and
# rules whose generic breaker would break a second rule too.
BREAKERS: dict[str, Any] = {
    "nmds_events.age_at_admission_plausible": {"date_of_birth": date(1890, 1, 1)},
    "nmds_events.birth_event_on_birth_date": {"event_type": "BT"},
    "nmds_events.day_case_same_day": {"event_type": "ID"},
    "nnpac_ed.age_at_presentation_plausible": {"date_of_birth": date(1890, 1, 1)},
    "mortality.registration_lag_plausible": {"date_of_death": date(2015, 6, 1)},
    "smokefree.contact_age_plausible": lambda row: {"contact_date": row["date_of_birth"] + timedelta(days=200)},
    # the low bound would put age_upper below age_lower and break age_band_ordered too
    "population.age_upper_range": {"age_upper": 91},
    "moh_release.period_end_is_quarter_end": {"period_end": date(2024, 3, 15)},
    "moh_release.period_not_after_release": {"period_end": date(2025, 3, 31)},
    "moh_release.rate_matches_numerator_and_denominator": lambda row: {"rate": row["rate"] * 2},
    "moh_release.rate_given_where_population": {"rate": None},
    "pes_inpatient.response_not_empty": {f"q{k:02d}": None for k in range(1, 21)},
    "pes_primary_care.response_not_empty": {f"q{k:02d}": None for k in range(1, 17)},
}


def clean_rows(contract: Contract, n: int = N_CLEAN) -> list[dict]:
    build = BUILDERS[contract.source_id]
    return [build(i, DISTRICTS[i % N_CLEAN]) for i in range(n)]


def defect_row(contract: Contract, rule: Rule, clean: list[dict], index: int) -> dict:
    """A new clean row (number `index`) changed to break `rule` and nothing else."""
    row = BUILDERS[contract.source_id](index, DISTRICTS[index % N_CLEAN])
    if rule.id in BREAKERS:
        patch = BREAKERS[rule.id]
        row.update(patch(row) if callable(patch) else patch)
        return row
    if rule.param("derived_sql"):
        raise AssertionError(f"{rule.id}: a derived rule needs an entry in BREAKERS")
    col = rule.columns[0] if rule.columns else None
    kind = rule.kind
    if kind == "not_null":
        row[col] = None
    elif kind == "in_set":
        row[col] = 987 if isinstance(rule.param("values")[0], int) else "ZZZ"
    elif kind == "regex":
        row[col] = f"not a code: {col}"
    elif kind in ("unique", "compound_unique"):
        row.update({c: clean[0][c] for c in rule.columns})
    elif kind == "between":
        lo, hi = rule.param("min_value"), rule.param("max_value")
        row[col] = (lo if rule.param("strict_min") else lo - 1) if lo is not None else hi + 1
    elif kind == "pair_greater":
        a, b = rule.param("column_a"), rule.param("column_b")
        step = timedelta(days=1) if isinstance(row[b], date) else 1
        row[a] = row[b] - step
    else:
        raise AssertionError(f"no breaker for {rule.id} ({kind})")
    return row


def period_sql(contract: Contract) -> str:
    col = contract.column(contract.period_column)
    name = quote(col.name)
    if col.physical_type == "DATE":
        return sql_period_label(name, contract.period_kind)
    if col.physical_type == "INTEGER":
        return f"CAST({name} AS VARCHAR)"
    return f"upper({name})"


_ARROW = {"VARCHAR": pa.string(), "DATE": pa.date32(), "INTEGER": pa.int32(),
          "BIGINT": pa.int64(), "DOUBLE": pa.float64()}


def load_batch(con: duckdb.DuckDBPyConnection, contract: Contract, rows: list[dict],
               name: str = "batch") -> str:
    """Create `name` with the contract's types, _row_number and _period (as ingestion does)."""
    arrays = {c.name: pa.array([r.get(c.name) for r in rows], type=_ARROW[c.physical_type])
              for c in contract.columns}
    arrays["_row_number"] = pa.array(range(1, len(rows) + 1), type=pa.int64())
    con.register("_rows", pa.table(arrays))
    try:
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT *, {period_sql(contract)} AS _period "
                    "FROM _rows").fetchall()
    finally:
        con.unregister("_rows")
    return name
