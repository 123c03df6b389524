"""Table builders: frames in, rows of display strings out (the templates only lay them out).

Suppressed cells become "s" and withheld rows carry their status_reason; the numbers behind
them are never formatted (frames.normalise_* has already blanked them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.dashboards import palette as pal
from pipelines.dashboards.frames import (
    DQ_COLUMNS,
    confidence_label,
    first_present,
    fmt_ci,
    fmt_count,
    fmt_number,
    is_number,
    normalise_equity,
    normalise_measures,
    nulls_first_key,
    require_columns,
    value_decimals,
)

SUPPRESSED = "s"


@dataclass(frozen=True)
class TableRow:
    group_id: str
    group: str
    numerator: str
    denominator: str
    value: str
    ci: str
    rate_ratio: str
    note: str = ""
    state: str = "published"  # published | suppressed | withheld (a CSS hook)


@dataclass(frozen=True)
class LatestTable:
    period_label: str
    ci_label: str
    rows: list[TableRow]
    suppression_reasons: list[str] = field(default_factory=list)

    @property
    def has_suppressed(self) -> bool:
        return any(SUPPRESSED in (r.value, r.rate_ratio, r.numerator) for r in self.rows)


def _rate_ratio(eq: dict | None, group_id: str, comparator: str, comparator_hidden: bool) -> str:
    if group_id == comparator:
        return "reference"
    if group_id == "total" or eq is None:
        return "—"
    if eq["suppressed"] or comparator_hidden or not is_number(eq["rate_ratio"]):
        return SUPPRESSED
    ci = fmt_ci(eq["rr_lower"], eq["rr_upper"], 2)
    return f"{eq['rate_ratio']:.2f} ({ci})" if ci != "—" else f"{eq['rate_ratio']:.2f}"


def latest_table(measures: pl.DataFrame, equity: pl.DataFrame | None = None) -> LatestTable:
    """Latest period of one district × measure × breakdown, one row per group (read as plain
    rows once normalised, like trend_figure)."""
    m = normalise_measures(measures).rows(named=True)
    if not m:
        raise ValueError("latest_table: no measure rows")
    latest = max((r["period_end"] for r in m if r["period_end"] is not None), default=None)
    cur = [r for r in m if latest is not None and r["period_end"] == latest]
    decimals = value_decimals(first_present(cur, "unit"))

    eq_rows: dict[str, dict] = {}
    comparator = "nmnp"
    if equity is not None and not equity.is_empty():
        for r in normalise_equity(equity).iter_rows(named=True):
            if latest is not None and r["period_end"] == latest:
                eq_rows[r["group_id"]] = r
                comparator = r["comparator_group"] or comparator
    comp = [r for r in cur if r["group_id"] == comparator]
    comparator_hidden = not comp or any(r["value"] is None for r in comp)

    rows: list[TableRow] = []
    for r in sorted(cur, key=lambda r: pal.group_sort_key(r["group_id"])):
        g = r["group_id"]
        label = pal.group_label(g)
        if r["status"] != "published":
            rows.append(TableRow(g, label, "—", "—", "withheld", "—", "—",
                                 note=r["status_reason"] or "withheld", state="withheld"))
        elif r["suppressed"]:
            # A ratio exists only where the equity mart has one; a suppressed rate suppresses it.
            rr = "reference" if g == comparator else SUPPRESSED if g in eq_rows else "—"
            rows.append(TableRow(g, label, SUPPRESSED, fmt_count(r["denominator"]), SUPPRESSED,
                                 SUPPRESSED, rr, state="suppressed"))
        else:
            rows.append(
                TableRow(g, label, fmt_count(r["numerator"]), fmt_count(r["denominator"]),
                         fmt_number(r["value"], decimals),
                         fmt_ci(r["lower_ci"], r["upper_ci"], decimals),
                         _rate_ratio(eq_rows.get(g), g, comparator, comparator_hidden))
            )
    reasons = sorted({r["suppression_reason"] for r in cur
                      if r["suppressed"] and r["suppression_reason"] is not None})
    return LatestTable(
        period_label=cur[0]["period_label"] if cur else None,
        ci_label=confidence_label(first_present(cur, "confidence")),
        rows=rows,
        suppression_reasons=reasons,
    )


def withheld_periods(measures: pl.DataFrame) -> list[tuple[str, str]]:
    """(period_label, reason) for every period with withheld rows, oldest first."""
    reasons: dict[tuple, set[str]] = {}
    for r in normalise_measures(measures).iter_rows(named=True):
        if r["status"] is not None and r["status"] != "published":
            found = reasons.setdefault((r["period_end"], r["period_label"]), set())
            if r["status_reason"] is not None:
                found.add(r["status_reason"])
    return [(label, "; ".join(sorted(found)) or "withheld")
            for (_, label), found in sorted(reasons.items(), key=lambda kv: nulls_first_key(kv[0][0]))]


@dataclass(frozen=True)
class DqRow:
    source_id: str
    period: str
    status: str
    failed_rules: str
    rows_read: str
    rows_loaded: str
    rows_quarantined: str


def dq_rows(dq: pl.DataFrame) -> list[DqRow]:
    """The data-quality summary, blocked first so problems are read before passes."""
    require_columns(dq, DQ_COLUMNS, "dq")
    rank = {"rejected": 0, "blocked": 1, "warn": 2, "pass": 3}
    out = []
    for r in dq.iter_rows(named=True):
        rules = r["failed_rules"]
        if isinstance(rules, list | tuple):
            rules = ", ".join(sorted(map(str, rules)))
        out.append(
            DqRow(str(r["source_id"]), str(r["period"]), str(r["status"]), rules or "—",
                  fmt_count(r["rows_read"]), fmt_count(r["rows_loaded"]),
                  fmt_count(r["rows_quarantined"]))
        )
    return sorted(out, key=lambda d: (rank.get(d.status, 3), d.source_id, d.period))


def dq_summary(rows: list[DqRow]) -> dict[str, int]:
    counts = {"blocked": 0, "warn": 0, "pass": 0}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def headline_value(measures: pl.DataFrame, district_code: str) -> str:
    """Latest total value of one measure's headline series (no breakdown) for the overview grid."""
    m = normalise_measures(measures).filter(
        (pl.col("district_code") == district_code) & (pl.col("group_id") == "total")
        & (pl.col("breakdown") == "")
    )
    if m.is_empty():
        return "—"
    r = m.sort("period_end").row(-1, named=True)
    if r["status"] != "published":
        return "withheld"
    if r["suppressed"]:
        return SUPPRESSED
    return fmt_number(r["value"], value_decimals(r["unit"]))
