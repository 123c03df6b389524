"""Small hand-made marts frames with the exact columns of docs/warehouse.md.

Suppressed and withheld rows carry SENTINEL numbers in their value/CI cells (as a careless
upstream might): the tests assert those numbers never reach a figure or a page.
"""

from __future__ import annotations

import math
import random
import re
from datetime import date, timedelta

import polars as pl
import pytest

MEASURES_SCHEMA = {
    "district_code": pl.String, "district_name": pl.String, "measure_id": pl.String,
    "measure_name": pl.String, "period_start": pl.Date, "period_end": pl.Date,
    "period_label": pl.String, "group_id": pl.String, "breakdown": pl.String,
    "numerator": pl.Float64, "denominator": pl.Float64, "value": pl.Float64,
    "lower_ci": pl.Float64, "upper_ci": pl.Float64, "confidence": pl.Float64, "unit": pl.String,
    "multiplier": pl.Float64, "method": pl.String, "suppressed": pl.Boolean,
    "suppression_reason": pl.String, "status": pl.String, "status_reason": pl.String,
    "definition_version": pl.String, "definition_status": pl.String, "direction": pl.String,
}
# marts.measures' value_formula columns the funnels read (docs/warehouse.md); synthetic_marts adds them.
FORMULA_COLUMNS = ("expected", "reference_rate", "weight_sum", "effective_n")
EQUITY_SCHEMA = {
    "district_code": pl.String, "measure_id": pl.String, "breakdown": pl.String,
    "period_end": pl.Date, "group_id": pl.String, "comparator_group": pl.String,
    "rate_ratio": pl.Float64, "rr_lower": pl.Float64, "rr_upper": pl.Float64,
    "rate_difference": pl.Float64, "rd_lower": pl.Float64, "rd_upper": pl.Float64,
    "method": pl.String, "suppressed": pl.Boolean,
}
TREND_SCHEMA = {
    "district_code": pl.String, "measure_id": pl.String, "group_id": pl.String,
    "breakdown": pl.String, "period_end": pl.Date, "value": pl.Float64, "mean": pl.Float64,
    "upl": pl.Float64, "lpl": pl.Float64, "near_upl": pl.Float64, "near_lpl": pl.Float64,
    "special_cause_rule": pl.String, "point_type": pl.String,
}
# As sql/publish/dq_summary.sql returns it: failed_rules is one "; "-joined string.
DQ_SCHEMA = {
    "source_id": pl.String, "period": pl.String, "status": pl.String,
    "failed_rules": pl.String, "rows_read": pl.Int64, "rows_loaded": pl.Int64,
    "rows_quarantined": pl.Int64,
}

SENTINEL = 9876.54  # planted in suppressed/withheld cells (±1 for CIs); must never be shown
# The sentinel as a whole number in any rounding or format (9876.54, 9,876.5, 9,877 …), not as a
# digit run inside some other float.
SENTINEL_RE = re.compile(r"(?<![\d.])9,?87[5-8](?:\.\d+)?(?!\d)")

ASH = {
    "measure_id": "ash_0_4", "measure_name": "Ambulatory sensitive hospitalisations, 0–4 years",
    "unit": "per 100,000 population", "multiplier": 100000.0, "method": "crude_rate",
    "definition_version": "ash-0-4-v1", "definition_status": "complete",
    "direction": "lower_is_better",
}
AMENABLE = {
    "measure_id": "amenable_mortality", "measure_name": "Amenable mortality under 75 per 100,000",
    "unit": "per 100,000 population (age-standardised, WHO 2000–2025, ages 0–74)",
    "multiplier": 100000.0, "method": "direct_who",
    "definition_version": "amenable-mortality-v1-partial", "definition_status": "incomplete",
    "direction": "lower_is_better",
}
PES = {
    "measure_id": "patient_experience",
    "measure_name": "Patient experience of care (domain scores out of 10)",
    "unit": "score out of 10", "multiplier": 1.0, "method": "weighted_mean",
    "definition_version": "patient-experience-v1", "definition_status": "complete",
    "direction": "higher_is_better",
}

# The other three SLM headlines, for pack tests that need all six (synthetic_marts(all_six=True)).
BED_DAYS = {
    "measure_id": "acute_bed_days", "measure_name": "Acute hospital bed days per 1,000 population",
    "unit": "per 1,000 population", "multiplier": 1000.0, "method": "crude_rate",
    "definition_version": "acute-bed-days-v1", "definition_status": "complete",
    "direction": "lower_is_better",
}
SMOKEFREE = {
    "measure_id": "smokefree_6_weeks", "measure_name": "Babies living in smokefree homes at six weeks",
    "unit": "percent", "multiplier": 100.0, "method": "proportion",
    "definition_version": "smokefree-v1", "definition_status": "complete",
    "direction": "higher_is_better",
}
SELF_HARM = {
    "measure_id": "youth_self_harm", "measure_name": "Self-harm hospitalisations, 10–24 years",
    "unit": "per 100,000 population", "multiplier": 100000.0, "method": "crude_rate",
    "definition_version": "youth-self-harm-v1", "definition_status": "complete",
    "direction": "lower_is_better",
}

GROUPS = ("maori", "pacific", "nmnp", "total", "asian", "european_other")
DISTRICTS = (
    ("011", "Northland"), ("021", "Waitematā"), ("022", "Auckland"), ("023", "Counties Manukau"),
    ("031", "Waikato"), ("042", "Lakes"), ("047", "Bay of Plenty"), ("051", "Tairāwhiti"),
    ("061", "Hawke's Bay"), ("071", "Taranaki"), ("081", "MidCentral"), ("082", "Whanganui"),
    ("091", "Capital & Coast"), ("092", "Hutt"), ("093", "Wairarapa"),
    ("101", "Nelson Marlborough"), ("111", "West Coast"), ("121", "Canterbury"),
    ("123", "South Canterbury"), ("160", "Southern"),
)


def quarter_ends(n: int, last: date = date(2025, 6, 30)) -> list[date]:
    y, m = last.year, last.month
    out = []
    for _ in range(n):
        out.append(date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))
        y, m = (y, m - 3) if m > 3 else (y - 1, m + 9)
    return sorted(out)


def window_start(end: date) -> date:
    """First day of the rolling 12-month window ending on quarter end `end`."""
    return date(end.year - (end.month != 12), end.month % 12 + 1, 1)


def _label(end: date) -> str:
    """As pipelines/measures/tidy_rows.py labels a rolling 12-month window."""
    return f"Year to {end:%b %Y}"


def measure_row(**kw) -> dict:
    end = kw.pop("period_end", date(2025, 6, 30))
    row = {
        "district_code": "023", "district_name": "Counties Manukau", **ASH,
        "period_start": window_start(end),
        "period_end": end, "period_label": _label(end), "group_id": "total", "breakdown": None,
        "numerator": 100.0, "denominator": 20000.0, "value": 500.0, "lower_ci": 400.0,
        "upper_ci": 600.0, "confidence": 0.95, "suppressed": False, "suppression_reason": None,
        "status": "published", "status_reason": None,
    }
    row.update(kw)
    return row


def frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def measures_frame(rows: list[dict]) -> pl.DataFrame:
    return frame([{k: r.get(k) for k in MEASURES_SCHEMA} for r in rows], MEASURES_SCHEMA)


def _poisson_ci(num: float, den: float, mult: float) -> tuple[float, float, float]:
    rate = num / den * mult
    half = 1.96 * math.sqrt(max(num, 1)) / den * mult
    return rate, max(rate - half, 0.0), rate + half


@pytest.fixture
def tiny_series() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One district × ASH, 4 quarters × 6 groups, with a suppressed cell, a withheld quarter and
    one special-cause point."""
    ends = quarter_ends(4)
    rows, trend, equity = [], [], []
    base = {"maori": 900, "pacific": 1100, "nmnp": 500, "total": 700, "asian": 450,
            "european_other": 520}
    for i, end in enumerate(ends):
        for g in GROUPS:
            den = 4000.0 if g != "total" else 20000.0
            num = base[g] * den / 100000 + i
            value, lo, hi = _poisson_ci(num, den, 100000)
            row = measure_row(period_end=end, group_id=g, numerator=num, denominator=den,
                              value=value, lower_ci=lo, upper_ci=hi)
            if end == ends[2]:  # a blocked source withholds the whole quarter
                row.update(status="withheld", status_reason="contract rule failed: nmds_dup_event",
                           value=SENTINEL, lower_ci=SENTINEL, upper_ci=SENTINEL)
            if end == ends[3] and g == "pacific":
                row.update(suppressed=True, suppression_reason="numerator < 5", numerator=3.0,
                           value=SENTINEL, lower_ci=SENTINEL - 1, upper_ci=SENTINEL + 1)
            rows.append(row)
            trend.append({
                "district_code": "023", "measure_id": "ash_0_4", "group_id": g, "breakdown": None,
                "period_end": end, "value": value, "mean": value, "upl": value * 1.3,
                "lpl": value * 0.7, "near_upl": value * 1.2, "near_lpl": value * 0.8,
                "special_cause_rule": "Above UCL" if (g == "maori" and i == 3) else None,
                "point_type": "special_cause_concern" if (g == "maori" and i == 3) else "common_cause",
            })
        for g in ("maori", "pacific"):
            sup = g == "pacific" and end == ends[3]
            equity.append({
                "district_code": "023", "measure_id": "ash_0_4", "breakdown": None, "period_end": end,
                "group_id": g, "comparator_group": "nmnp",
                "rate_ratio": SENTINEL if sup else base[g] / 500, "rr_lower": 1.2, "rr_upper": 2.4,
                "rate_difference": 400.0, "rd_lower": 300.0, "rd_upper": 500.0,
                "method": "wald_log", "suppressed": sup,
            })
    return (measures_frame(rows), frame(equity, EQUITY_SCHEMA), frame(trend, TREND_SCHEMA))


def synthetic_marts(n_districts: int = 4, n_quarters: int = 8, seed: int = 7, all_six: bool = False):
    """Deterministic multi-measure marts: ASH, amenable mortality (incomplete), patient experience
    (survey/domain breakdowns), for n districts plus New Zealand (000); with all_six, also acute
    bed days, smokefree (a proportion) and youth self-harm, so every SLM headline is present."""
    rnd = random.Random(seed)
    ends = quarter_ends(n_quarters)
    districts = [*DISTRICTS[:n_districts], ("000", "New Zealand")]
    rel = {"maori": 1.6, "pacific": 1.9, "nmnp": 0.8, "total": 1.0, "asian": 0.7,
           "european_other": 0.85}
    share = {"maori": 0.2, "pacific": 0.12, "nmnp": 0.68, "total": 1.0, "asian": 0.2,
             "european_other": 0.48}
    rows, equity, trend = [], [], []
    for code, name in districts:
        pop = 300000.0 if code == "000" else rnd.choice([6000.0, 20000.0, 45000.0])
        small = pop < 10000
        specs = [(ASH, 6000.0, [None]), (AMENABLE, 95.0, [None]),
                 (PES, 8.0, ["inpatient:communication", "inpatient:partnership"])]
        if all_six:
            specs += [(BED_DAYS, 450.0, [None]), (SMOKEFREE, 70.0, [None]), (SELF_HARM, 500.0, [None])]
        for spec, base_rate, bds in specs:
            mult = spec["multiplier"]
            for bd in bds:
                drift = rnd.uniform(-0.04, 0.04)
                for i, end in enumerate(ends):
                    values = {}
                    for g in GROUPS:
                        den = pop * share[g] * (5 if spec is AMENABLE else 1)
                        if spec is PES:
                            den = max(round(pop * share[g] / 60), 8)
                            value = min(10, base_rate + (0.3 if g == "nmnp" else -0.2 * rel[g])
                                        + rnd.uniform(-0.25, 0.25) + i * 0.02)
                            num = value * den
                            half = 1.96 * 1.6 / math.sqrt(den)
                            lo, hi = value - half, min(value + half, 10)
                            sup = den < 30
                            reason = "fewer than 30 respondents"
                        else:
                            rate = base_rate * rel[g] * (1 + drift * i) * rnd.uniform(0.9, 1.1)
                            num = round(rate * den / mult)
                            value, lo, hi = _poisson_ci(num, den, mult) if num else (0.0, 0.0, 0.0)
                            limit = 10 if spec is AMENABLE else 5
                            sup = num < limit
                            reason = f"fewer than {limit} events"
                        values[g] = None if sup else value
                        withheld = spec is ASH and i == n_quarters - 3 and code != "000"
                        rows.append({
                            "district_code": code, "district_name": name, **spec,
                            "period_start": window_start(end),
                            "period_end": end, "period_label": _label(end), "group_id": g,
                            "breakdown": bd, "numerator": float(num), "denominator": float(den),
                            "value": SENTINEL if (sup or withheld) else value,
                            "lower_ci": SENTINEL if (sup or withheld) else lo,
                            "upper_ci": SENTINEL if (sup or withheld) else hi,
                            "confidence": 0.95, "suppressed": sup,
                            "suppression_reason": reason if sup else None,
                            "status": "withheld" if withheld else "published",
                            "status_reason": "contract rule failed: nmds_dup_event"
                            if withheld else None,
                            # docs/warehouse.md value_formula columns: bed days as O/E × the
                            # reference rate (E at base_rate, so the value is the crude rate),
                            # patient experience with weights of 1 (n_eff = respondents).
                            "expected": den * base_rate / mult if spec is BED_DAYS else None,
                            "reference_rate": base_rate if spec is BED_DAYS else None,
                            "weight_sum": float(den) if spec is PES else None,
                            "effective_n": float(den) if spec is PES else None,
                        })
                        last = i == n_quarters - 1
                        special = (last and g == "maori" and not small) or (i == 1 and g == "total")
                        trend.append({
                            "district_code": code, "measure_id": spec["measure_id"], "group_id": g,
                            "breakdown": bd, "period_end": end, "value": value, "mean": value,
                            "upl": value * 1.2, "lpl": value * 0.8, "near_upl": value * 1.13,
                            "near_lpl": value * 0.87,
                            "special_cause_rule": ("Above UCL" if last else "7 Point Trend (Decreasing)")
                            if special else None,
                            "point_type": ("special_cause_concern" if last
                                           else "special_cause_improvement")
                            if special else "common_cause",
                        })
                    for g in ("maori", "pacific"):
                        ok = values[g] is not None and values["nmnp"] not in (None, 0)
                        rr = values[g] / values["nmnp"] if ok else SENTINEL
                        equity.append({
                            "district_code": code, "measure_id": spec["measure_id"], "breakdown": bd,
                            "period_end": end, "group_id": g, "comparator_group": "nmnp",
                            "rate_ratio": rr, "rr_lower": rr * 0.8 if ok else None,
                            "rr_upper": rr * 1.25 if ok else None, "rate_difference": None,
                            "rd_lower": None, "rd_upper": None, "method": "wald_log",
                            "suppressed": not ok,
                        })
    dq = frame([
        ("nmds", "2024Q4", "blocked", "nmds_dup_event (error, 2400 rows)", 120_400, 118_000, 2_400),
        ("nmds", "2025Q1", "pass", "", 121_000, 121_000, 0),
        ("pes_inpatient", "2025Q2", "warn", "pes_missing_domain (warning, 50 rows)", 3_200, 3_150, 50),
    ], DQ_SCHEMA)
    formula = {c: pl.Float64 for c in FORMULA_COLUMNS}
    measures = pl.concat([measures_frame(rows), frame([{c: r[c] for c in formula} for r in rows], formula)],
                         how="horizontal")
    return (measures, frame(equity, EQUITY_SCHEMA), frame(trend, TREND_SCHEMA), dq)


@pytest.fixture(scope="session")
def marts():
    return synthetic_marts()
