"""Hand-built published tables (the shapes of marts.measures / marts.equity / marts.trend)."""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.dashboards.frames import EQUITY_COLUMNS, MEASURES_COLUMNS, TREND_COLUMNS

DEC24, DEC25 = date(2024, 12, 31), date(2025, 12, 31)
NAMES = {"011": "Northland", "021": "Waitematā", "023": "Counties Manukau", "000": "New Zealand"}


def measure_row(district: str, period_end: date, value: float | None, *, group: str = "total",
                lo: float | None = None, hi: float | None = None, numerator: float = 100,
                denominator: float = 10_000, measure_id: str = "ash_0_4", suppressed: bool = False,
                status: str = "published", status_reason: str | None = None,
                definition_status: str = "complete", unit: str = "per 100,000 population",
                multiplier: float = 100_000, direction: str = "lower_is_better") -> dict:
    start = date(period_end.year - 4, 1, 1) if measure_id == "amenable_mortality" else date(period_end.year, 1, 1)
    return {
        "district_code": district, "district_name": NAMES[district], "measure_id": measure_id,
        "measure_name": measure_id, "period_start": start, "period_end": period_end,
        "period_label": f"{'Five years' if measure_id == 'amenable_mortality' else 'Year'} to Dec {period_end.year}",
        "group_id": group, "breakdown": "",
        "numerator": numerator, "denominator": denominator, "value": value,
        "lower_ci": value * 0.9 if lo is None and value is not None else lo,
        "upper_ci": value * 1.1 if hi is None and value is not None else hi,
        "confidence": 0.95, "unit": unit, "multiplier": multiplier, "method": "Byar",
        "suppressed": suppressed,
        "suppression_reason": "fewer than 5 events" if suppressed else None,
        "status": status, "status_reason": status_reason, "definition_version": "v1",
        "definition_status": definition_status, "direction": direction,
    }


def measures(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows).select(MEASURES_COLUMNS)


def equity_row(district: str, period_end: date, group: str, rr: float | None,
               measure_id: str = "ash_0_4", suppressed: bool = False) -> dict:
    return {
        "district_code": district, "measure_id": measure_id, "breakdown": "", "period_end": period_end,
        "group_id": group, "comparator_group": "nmnp", "rate_ratio": rr,
        "rr_lower": None if rr is None else rr * 0.8, "rr_upper": None if rr is None else rr * 1.2,
        "rate_difference": None, "rd_lower": None, "rd_upper": None, "method": "log", "suppressed": suppressed,
    }


def equity(rows: list[dict]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema={c: pl.String for c in EQUITY_COLUMNS})
    return pl.DataFrame(rows, schema_overrides={"rate_difference": pl.Float64, "rd_lower": pl.Float64,
                                                "rd_upper": pl.Float64}).select(EQUITY_COLUMNS)


def trend(rows: list[tuple[str, date, str]], measure_id: str = "ash_0_4") -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema={c: pl.String for c in TREND_COLUMNS})
    return pl.DataFrame([{
        "district_code": d, "measure_id": measure_id, "group_id": "total", "breakdown": "",
        "period_end": end, "value": 1.0, "mean": 1.0, "upl": 2.0, "lpl": 0.0, "near_upl": 1.5,
        "near_lpl": 0.5, "special_cause_rule": None, "point_type": point,
    } for d, end, point in rows], schema_overrides={"special_cause_rule": pl.String}).select(TREND_COLUMNS)
