"""Input contracts and small data helpers shared by the figure and table builders.

Column lists mirror docs/warehouse.md (marts.measures / marts.equity / marts.trend). The masking
rule lives here, once: a value is drawable only if its row is published and not suppressed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

import polars as pl

NATIONAL_CODE = "000"
NO_BREAKDOWN = ""  # breakdown is NULL for the headline series; "" keeps sorting and ids simple

MEASURES_COLUMNS: tuple[str, ...] = (
    "district_code", "district_name", "measure_id", "measure_name", "period_start", "period_end",
    "period_label", "group_id", "breakdown", "numerator", "denominator", "value", "lower_ci",
    "upper_ci", "confidence", "unit", "multiplier", "method", "suppressed", "suppression_reason",
    "status", "status_reason", "definition_version", "definition_status", "direction",
)
EQUITY_COLUMNS: tuple[str, ...] = (
    "district_code", "measure_id", "breakdown", "period_end", "group_id", "comparator_group",
    "rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper", "method",
    "suppressed",
)
TREND_COLUMNS: tuple[str, ...] = (
    "district_code", "measure_id", "group_id", "breakdown", "period_end", "value", "mean", "upl",
    "lpl", "near_upl", "near_lpl", "special_cause_rule", "point_type",
)
# The DQ summary is not a mart; this is the shape build_dashboards accepts.
DQ_COLUMNS: tuple[str, ...] = (
    "source_id", "period", "status", "failed_rules", "rows_read", "rows_loaded", "rows_quarantined",
)


_DTYPES: dict[str, pl.DataType] = {
    **{c: pl.Date() for c in ("period_start", "period_end")},
    **{c: pl.Float64() for c in (
        "numerator", "denominator", "value", "lower_ci", "upper_ci", "confidence", "multiplier",
        "rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper", "mean",
        "upl", "lpl", "near_upl", "near_lpl")},
    "suppressed": pl.Boolean(),
}


def require_columns(df: pl.DataFrame, columns: Iterable[str], name: str) -> None:
    present = set(df.columns)
    missing = [c for c in columns if c not in present]
    if missing:
        raise ValueError(f"{name} is missing columns {missing} (see docs/warehouse.md)")


def _typed_if_empty(df: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Empty marts can arrive all-String (no rows to infer from); give them the real types so
    date and boolean filters still bind."""
    if not df.is_empty():
        return df
    return pl.DataFrame(schema={c: _DTYPES.get(c, pl.String()) for c in columns})


def _masking(hidden: pl.Expr, masked: tuple[str, ...]) -> tuple[pl.Expr, ...]:
    """The one masking rule: NULL breakdown → "", NULL suppressed → True, and every `masked`
    cell emptied where `hidden`. Built once: the pages normalise thousands of small frames, and
    building the expressions cost more than applying them."""
    return (
        pl.col("breakdown").fill_null(NO_BREAKDOWN),
        pl.col("suppressed").fill_null(True),
        *[pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in masked],
    )


_MEASURES_MASKING = _masking(
    pl.col("suppressed").fill_null(True) | (pl.col("status") != "published").fill_null(True),
    ("numerator", "value", "lower_ci", "upper_ci"))
_EQUITY_MASKING = _masking(
    pl.col("suppressed").fill_null(True),
    ("rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper"))


def normalise_measures(measures: pl.DataFrame) -> pl.DataFrame:
    """Fill NULL breakdowns with "" and blank out every value that must not be shown.

    Masking here (not only in the renderers) means no later code path can draw or print a
    suppressed or withheld number, whatever the mart put in those cells.
    """
    return _masked(measures, MEASURES_COLUMNS, "measures", _MEASURES_MASKING)


def normalise_equity(equity: pl.DataFrame) -> pl.DataFrame:
    return _masked(equity, EQUITY_COLUMNS, "equity", _EQUITY_MASKING)


def _masked(df: pl.DataFrame, columns: tuple[str, ...], name: str, masking: tuple[pl.Expr, ...]) -> pl.DataFrame:
    """Checked columns, real types when empty, then the masking rule."""
    require_columns(df, columns, name)
    return _typed_if_empty(df, columns).with_columns(*masking)


def normalise_trend(trend: pl.DataFrame) -> pl.DataFrame:
    require_columns(trend, TREND_COLUMNS, "trend")
    trend = _typed_if_empty(trend, TREND_COLUMNS)
    return trend.with_columns(pl.col("breakdown").fill_null(NO_BREAKDOWN))


# Plain-row helpers for the builders that read a series as Python rows, with polars' semantics:
# `first_present` is `drop_nulls().first()`, and NULLs sort first.
def first_present(rows: Iterable[dict], column: str) -> object:
    return next((r[column] for r in rows if r[column] is not None), None)


def nulls_first_key(value: object) -> tuple[bool, object]:
    return (value is not None, 0 if value is None else value)


def sorted_nulls_first(values: Iterable[object]) -> list:
    return sorted(values, key=nulls_first_key)


def is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def slugify(text: str) -> str:
    """ASCII file-name slug: 'Waitematā' → 'waitemata', 'Capital & Coast' → 'capital-and-coast'."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = text.encode("ascii", "ignore").decode().lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def district_file_name(code: str, name: str) -> str:
    return f"district_{code}_{slugify(name)}.html"


def breakdown_label(breakdown: str) -> str:
    if not breakdown:
        return ""
    parts = [p.strip().replace("_", " ") for p in re.split(r"[/|:]", breakdown)]
    return " · ".join(p[:1].upper() + p[1:] for p in parts if p)


def humanise(token: str | None) -> str:
    return (token or "").replace("_", " ")


def value_decimals(unit: str | None) -> int:
    """Scores out of 10 need two decimals to show change; rates and percentages one."""
    return 2 if unit and "score" in unit.lower() else 1


def fmt_number(x: object, decimals: int = 1) -> str:
    return f"{x:,.{decimals}f}" if is_number(x) else "—"


def fmt_count(x: object) -> str:
    """Counts print as integers; weighted counts (survey weights) keep one decimal."""
    if not is_number(x):
        return "—"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def fmt_ci(lo: object, hi: object, decimals: int = 1) -> str:
    if not (is_number(lo) and is_number(hi)):
        return "—"
    return f"{lo:,.{decimals}f} to {hi:,.{decimals}f}"


def confidence_label(confidence: object) -> str:
    pct = 100 * confidence if is_number(confidence) else 95.0
    return f"{pct:g}% CI"
