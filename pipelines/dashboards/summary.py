"""The first page of the ALT pack: one row per System Level Measure for a district (or NZ).

Each row answers, for the measure's headline series and group total: where do we stand (latest
value and CI), are we improving (change against the same window a year earlier), how do we
compare with New Zealand, what does SPC say (non-overlapping points, pipelines.dashboards.
quarterly), are we on track for the milestone, and is the gap for Māori and Pacific closing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl

from pipelines.dashboards import palette as pal
from pipelines.dashboards.comparisons import (
    COMPARISON_LABELS,
    FINGERTIPS,
    change_since,
    compare_with_benchmark,
    gap_direction,
    gap_meets,
    meets,
)
from pipelines.dashboards.frames import (
    NATIONAL_CODE,
    fmt_ci,
    fmt_number,
    is_number,
    value_decimals,
)
from pipelines.dashboards.targets import GAP_GROUPS

# The six SLMs, one headline series each (docs/pack.md). The youth SLM has five domains; the
# pack's headline is self-harm hospitalisations, the others stay in the detail pages.
HEADLINES: tuple[tuple[str, str], ...] = (
    ("ash_0_4", ""),
    ("acute_bed_days", ""),
    ("patient_experience", "inpatient:communication"),
    ("amenable_mortality", ""),
    ("smokefree_6_weeks", ""),
    ("youth_self_harm", ""),
)

CHANGE_LABELS = {
    "improved": "Improved", "worsened": "Worsened", "no_change": "No significant change",
    "increased": "Increased", "decreased": "Decreased",
}
GAP_LABELS = {"narrowing": "narrowing", "widening": "widening", "no_clear_change": "no clear change"}


def year_earlier(d: date) -> date:
    """Same window a year earlier (quarter ends are month ends, so 29 Feb never arises)."""
    return d.replace(year=d.year - 1)


def headline_rows(m: pl.DataFrame, measure_id: str, breakdown: str) -> pl.DataFrame:
    return m.filter((pl.col("measure_id") == measure_id) & (pl.col("breakdown") == breakdown))


def available_headlines(m: pl.DataFrame) -> list[tuple[str, str]]:
    """The headline series present in the measures table, in HEADLINES order."""
    present = set(m.select("measure_id", "breakdown").unique().iter_rows())
    return [h for h in HEADLINES if h in present]


def _at(rows: pl.DataFrame, code: str, group: str, end: date | None) -> dict | None:
    if end is None:
        return None
    r = rows.filter((pl.col("district_code") == code) & (pl.col("group_id") == group)
                    & (pl.col("period_end") == end))
    return r.row(0, named=True) if r.height else None


def _triple(r: Mapping | None, prefix: str = "") -> tuple:
    if r is None:
        return (None, None, None)
    if prefix:
        return (r["rate_ratio"], r["rr_lower"], r["rr_upper"])
    return (r["value"], r["lower_ci"], r["upper_ci"])


def _windows_overlap(r: Mapping, earlier_end: date) -> bool:
    return r["period_start"] <= earlier_end


def measure_summary(
    code: str, rows: pl.DataFrame, equity: pl.DataFrame, targets: pl.DataFrame,
    spc: Mapping | None,
) -> dict:
    """One first-page row. rows: normalised measures rows of one headline series (all districts).

    spc: {"chart": frame | None, "note": str, "icons": {...}} from the SPC step, or None.
    """
    latest_end = rows.get_column("period_end").max()
    meta = rows.sort("period_end", "district_code", "group_id").row(-1, named=True)
    direction, unit = meta["direction"], meta["unit"]
    decimals = value_decimals(unit)
    now = _at(rows, code, "total", latest_end)
    nz = _at(rows, NATIONAL_CODE, "total", latest_end)
    earlier_end = year_earlier(latest_end)
    before = _at(rows, code, "total", earlier_end)

    out: dict = {
        "measure_id": meta["measure_id"], "name": meta["measure_name"], "unit": unit,
        "direction": direction, "period_label": meta["period_label"] if now is None else now["period_label"],
        "value": "—", "ci": "—", "state": "missing",
    }
    if now is not None:
        if now["status"] != "published":
            out.update(value="withheld", state="withheld")
        elif now["suppressed"]:
            out.update(value="s", state="suppressed")
        elif is_number(now["value"]):
            out.update(value=fmt_number(now["value"], decimals),
                       ci=fmt_ci(now["lower_ci"], now["upper_ci"], decimals), state="published")

    # Against a year earlier
    change = change_since(_triple(now), _triple(before), direction)
    overlap = now is not None and before is not None and _windows_overlap(now, earlier_end)
    if change is None:
        out["change"] = {"label": "—", "detail": "not available", "verdict": "none"}
    else:
        label = CHANGE_LABELS[change["verdict"]]
        detail = f"{'+' if change['difference'] >= 0 else '−'}{fmt_number(abs(change['difference']), decimals)}"
        detail += f" vs {before['period_label']}"
        if overlap:  # e.g. rolling five-year windows: not independent, no test
            label, change["verdict"] = "Not tested", "none"
            detail += " (windows overlap)"
        out["change"] = {"label": label, "detail": detail, "verdict": change["verdict"]}

    # Against New Zealand
    if code == NATIONAL_CODE:
        out["nz"] = None
    else:
        key = compare_with_benchmark(*_triple(now), nz["value"] if nz else None, direction)
        fill, ink = FINGERTIPS[key]
        out["nz"] = {"key": key, "label": COMPARISON_LABELS[key], "fill": fill, "ink": ink,
                     "benchmark": fmt_number(nz["value"], decimals) if nz else "—"}

    out["spc"] = spc or {"chart": None, "note": "no SPC", "icons": None, "projection": None}
    out["milestones"] = milestone_status(code, meta["measure_id"], rows, equity, targets, direction,
                                         decimals)
    out["equity"] = equity_summary(code, equity.filter(
        (pl.col("measure_id") == meta["measure_id"]) & (pl.col("breakdown") == meta["breakdown"])),
        latest_end)
    return out


def equity_summary(code: str, eq: pl.DataFrame, latest_end: date) -> list[dict]:
    """Māori and Pacific rate ratio vs nMnP, latest, with the gap's direction over the year."""
    out = []
    for group in ("maori", "pacific"):
        now = _at_eq(eq, code, group, latest_end)
        before = _at_eq(eq, code, group, year_earlier(latest_end))
        ratio = now["rate_ratio"] if now else None
        entry = {"group": pal.group_label(group), "ratio": "s" if (now and now["suppressed"]) else
                 fmt_number(ratio, 2), "ci": fmt_ci(now["rr_lower"], now["rr_upper"], 2) if now else "—",
                 "direction": "—"}
        if now is None:
            entry["ratio"] = "—"
        gap = gap_direction(_triple(now, "rr"), _triple(before, "rr"))
        if gap is not None:
            entry["direction"] = GAP_LABELS[gap["verdict"]]
        out.append(entry)
    return out


def _at_eq(eq: pl.DataFrame, code: str, group: str, end: date) -> dict | None:
    r = eq.filter((pl.col("district_code") == code) & (pl.col("group_id") == group)
                  & (pl.col("period_end") == end))
    return r.row(0, named=True) if r.height else None


def milestone_status(code: str, measure_id: str, rows: pl.DataFrame, equity: pl.DataFrame,
                     targets: pl.DataFrame, direction: str | None, decimals: int) -> list[dict]:
    """Every milestone of this district × measure: its window, the value there (or latest), and
    whether it is met ("met", "not met", "not yet due: latest meets/does not meet")."""
    mine = targets.filter((pl.col("district_code") == code) & (pl.col("measure_id") == measure_id))
    out = []
    latest_end = rows.get_column("period_end").max()
    for t in mine.sort("year", "group").iter_rows(named=True):
        group = t["group"]
        due = t["period_end"] <= latest_end
        at = min(t["period_end"], latest_end)
        # the last window ending on or before the milestone's date
        ends = rows.filter(pl.col("period_end") <= at).get_column("period_end")
        end = ends.max() if ends.len() else None
        if group in GAP_GROUPS:
            eq = _at_eq(equity.filter(pl.col("measure_id") == measure_id), code, GAP_GROUPS[group], end) \
                if end else None
            value = eq["rate_ratio"] if eq else None
            ok = gap_meets(value, t["milestone"])
            shown = fmt_number(value, 2)
            target = fmt_number(t["milestone"], 2)
            what = f"{pal.group_label(GAP_GROUPS[group])} : nMnP ratio at most"
        else:
            r = _at(rows, code, group, end)
            value = r["value"] if r else None
            ok = meets(value, t["milestone"], direction)
            shown = fmt_number(value, decimals)
            target = fmt_number(t["milestone"], decimals)
            what = pal.group_label(group) + {"lower_is_better": " ≤", "higher_is_better": " ≥"}.get(
                direction or "", "")
        if ok is None:
            status = "unknown"
        elif due:
            status = "met" if ok else "not_met"
        else:
            status = "on_course" if ok else "not_yet"
        out.append({"year": t["year"], "group": group, "what": what, "target": target,
                    "value": shown, "status": status, "due": due,
                    "label": MILESTONE_LABELS[status], "milestone": t["milestone"],
                    "period_end": t["period_end"]})
    return out


MILESTONE_LABELS = {
    "met": "Met", "not_met": "Not met", "on_course": "Already at milestone",
    "not_yet": "Not yet at milestone", "unknown": "No value to judge",
}
