"""The facts behind the drafted commentary: every number a sentence may print, already formatted.

One row per district × measure × fact, each naming the published cell it comes from (table,
district, period, group, breakdown, column), so a test can check every printed number against the
measures table and a reader can trace a sentence to its source. Facts are built from the
*published* tables (suppression and withholding applied, frames.normalise_*), so a suppressed or
withheld value cannot become a fact: the fact says "suppressed"/"withheld" and why instead.

Headline series only: group total, no breakdown; Māori and Pacific for the equity gap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from pipelines.dashboards.comparisons import compare_with_benchmark
from pipelines.dashboards.frames import (
    NATIONAL_CODE,
    fmt_number,
    is_number,
    normalise_equity,
    normalise_measures,
    normalise_trend,
    value_decimals,
)

FACT_COLUMNS = {
    "fact_id": pl.String, "district_code": pl.String, "measure_id": pl.String, "fact": pl.String,
    "text": pl.String, "value": pl.Float64, "source": pl.String, "source_district": pl.String,
    "period_end": pl.Date, "group_id": pl.String, "breakdown": pl.String, "column": pl.String,
}
EQUITY_GROUPS = ("maori", "pacific")
MEASURES = "marts.measures"
EQUITY = "marts.equity"
TREND = "marts.trend"
DECOMPOSITION = "marts.change_decomposition"
TARGETS = "targets"
DERIVED = "derived"


def fmt_ratio(x: float) -> str:
    return f"{x:,.2f}"


def lower_first(label: str) -> str:
    return label[:1].lower() + label[1:] if label else label


def year_earlier(d: date) -> date:
    """The end of the same window a year earlier (window ends are month ends)."""
    first_of_next = date(d.year - 1 + (d.month == 12), d.month % 12 + 1, 1)
    return date.fromordinal(first_of_next.toordinal() - 1)


@dataclass
class FactSet:
    """The facts of one district × measure, by name, in the order they were added."""

    district_code: str
    measure_id: str
    facts: dict[str, dict] = field(default_factory=dict)
    breakdown: str = ""  # the headline series' breakdown ("" for most measures)

    def add(self, fact: str, text: str, value: float | None, source: str, *, source_district: str,
            period_end: date | None, group_id: str = "total", breakdown: str | None = None,
            column: str = "") -> str:
        breakdown = self.breakdown if breakdown is None else breakdown
        self.facts[fact] = {
            "fact_id": f"{self.district_code}:{self.measure_id}:{fact}",
            "district_code": self.district_code, "measure_id": self.measure_id, "fact": fact,
            "text": text, "value": value, "source": source, "source_district": source_district,
            "period_end": period_end, "group_id": group_id, "breakdown": breakdown, "column": column,
        }
        return text

    def __contains__(self, fact: str) -> bool:
        return fact in self.facts

    def text(self, fact: str) -> str:
        return self.facts[fact]["text"]

    def id(self, fact: str) -> str:
        return self.facts[fact]["fact_id"]


def build_facts(
    measures: pl.DataFrame,
    equity: pl.DataFrame,
    trend: pl.DataFrame,
    decomposition: pl.DataFrame | None = None,
    targets: pl.DataFrame | None = None,
    headlines: Mapping[str, str] | None = None,
) -> dict[tuple[str, str], FactSet]:
    """(district_code, measure_id) → its facts, for every district (and New Zealand) and measure
    with a headline series. `targets` (optional): the pack's milestones (targets.py) — the next
    milestone of each group is the one to say "what it would take" for. `headlines`: measure_id
    → the breakdown of its headline series where that is not "" (patient experience)."""
    headline = _headline_filter(headlines or {})
    m = normalise_measures(measures).filter(headline & pl.col("period_end").is_not_null())
    e = normalise_equity(equity).filter(headline)
    t = normalise_trend(trend).filter(headline & (pl.col("group_id") == "total"))
    out: dict[tuple[str, str], FactSet] = {}
    for (district, measure_id), rows in m.partition_by(
            ["district_code", "measure_id"], as_dict=True, maintain_order=True).items():
        fs = FactSet(district, measure_id, breakdown=rows.item(0, "breakdown"))
        _headline(fs, rows, m, t)
        if "period" in fs:
            _equity(fs, rows, e)
            if decomposition is not None:
                _decomposition(fs, decomposition)
            if targets is not None:
                _milestone(fs, rows, targets)
        out[(district, measure_id)] = fs
    return out


def _headline_filter(headlines: Mapping[str, str]) -> pl.Expr:
    wanted = pl.col("measure_id").replace_strict(dict(headlines), default="", return_dtype=pl.String)
    return pl.col("breakdown") == wanted


def facts_frame(fact_sets: Mapping[tuple[str, str], FactSet]) -> pl.DataFrame:
    rows = [f for fs in fact_sets.values() for f in fs.facts.values()]
    return pl.DataFrame(rows, schema=FACT_COLUMNS)


def fact_sets_from_frame(facts: pl.DataFrame) -> dict[tuple[str, str], FactSet]:
    """The inverse of facts_frame: drafts are written from the exported facts table alone."""
    out: dict[tuple[str, str], FactSet] = {}
    for f in facts.iter_rows(named=True):
        key = (f["district_code"], f["measure_id"])
        fs = out.setdefault(key, FactSet(*key))
        if f["source"] == MEASURES:
            fs.breakdown = f["breakdown"]
        fs.facts[f["fact"]] = f
    return out


def _row(rows: pl.DataFrame, period_end: date, group_id: str = "total") -> dict | None:
    hit = rows.filter((pl.col("period_end") == period_end) & (pl.col("group_id") == group_id))
    return hit.row(0, named=True) if hit.height else None


def _value_text(r: dict, column: str = "value") -> str:
    return fmt_number(r[column], value_decimals(r["unit"]))


def _state(r: dict) -> str:
    if r["status"] != "published":
        return "withheld"
    return "suppressed" if r["suppressed"] or not is_number(r["value"]) else "published"


def _headline(fs: FactSet, rows: pl.DataFrame, m: pl.DataFrame, t: pl.DataFrame) -> None:
    total = rows.filter(pl.col("group_id") == "total").sort("period_end")
    if total.is_empty():
        return
    d = fs.district_code
    latest = total.row(-1, named=True)
    fs.add("unit", latest["unit"] or "", None, MEASURES, source_district=d,
           period_end=latest["period_end"], column="unit")
    if latest["definition_status"] == "incomplete":
        fs.add("definition_incomplete", "incomplete", None, MEASURES, source_district=d,
               period_end=latest["period_end"], column="definition_status")
    if latest["status"] != "published":
        fs.add("withheld_period", lower_first(latest["period_label"]), None, MEASURES,
               source_district=d, period_end=latest["period_end"], column="period_label")
        fs.add("withheld_reason", _first_clause(latest["status_reason"]), None, MEASURES,
               source_district=d, period_end=latest["period_end"], column="status_reason")
        published = total.filter(pl.col("status") == "published")
        if published.is_empty():
            return
        latest = published.row(-1, named=True)
    _describe(fs, latest, "", m, t)

    prev = _row(total, year_earlier(latest["period_end"]))
    if prev is None:
        return
    _describe(fs, prev, "previous_", m, None)
    if "series_break" in total.columns and total.filter(
            (pl.col("period_end") > prev["period_end"]) & (pl.col("period_end") <= latest["period_end"])
            & pl.col("series_break").fill_null(False)).height:
        fs.add("series_break", "series break", None, MEASURES, source_district=d,
               period_end=latest["period_end"], column="series_break")
    if "value" in fs and "previous_value" in fs:
        change = latest["value"] - prev["value"]
        decimals = value_decimals(latest["unit"])
        shown = fmt_number(abs(change), decimals)
        direction = ("no change" if float(shown.replace(",", "")) == 0
                     else "rise" if change > 0 else "fall")
        fs.add("change", shown, change, DERIVED, source_district=d, period_end=latest["period_end"],
               column="value − previous value")
        fs.add("change_direction", direction, None, DERIVED, source_district=d,
               period_end=latest["period_end"], column="sign of value − previous value")
        if latest["period_start"] <= prev["period_end"]:
            # Five-year windows a year apart share four years: no test of the change (pack-methods §6.3).
            fs.add("windows_overlap", "share", None, DERIVED, source_district=d,
                   period_end=latest["period_end"], column="period_start, previous period_end")
            return
        overlap = latest["lower_ci"] <= prev["upper_ci"] and prev["lower_ci"] <= latest["upper_ci"]
        fs.add("ci_overlap", "overlap" if overlap else "do not overlap", None, DERIVED,
               source_district=d, period_end=latest["period_end"], column="lower_ci, upper_ci")


def _describe(fs: FactSet, r: dict, prefix: str, m: pl.DataFrame, t: pl.DataFrame | None) -> None:
    """Facts of one window's headline row: period, state, value and CI (if published), New
    Zealand's value and the SPC point type (latest window only)."""
    d, end = fs.district_code, r["period_end"]
    fs.add(prefix + "period", lower_first(r["period_label"]), None, MEASURES, source_district=d,
           period_end=end, column="period_label")
    state = _state(r)
    fs.add(prefix + "state", state, None, MEASURES, source_district=d, period_end=end,
           column="status, suppressed")
    if state == "suppressed":
        fs.add(prefix + "suppression_reason", r["suppression_reason"] or "too few events", None,
               MEASURES, source_district=d, period_end=end, column="suppression_reason")
        return
    if state != "published":
        return
    fs.add(prefix + "value", _value_text(r), r["value"], MEASURES, source_district=d,
           period_end=end, column="value")
    if prefix:
        return
    if is_number(r["lower_ci"]) and is_number(r["upper_ci"]):
        fs.add("lower_ci", _value_text(r, "lower_ci"), r["lower_ci"], MEASURES, source_district=d,
               period_end=end, column="lower_ci")
        fs.add("upper_ci", _value_text(r, "upper_ci"), r["upper_ci"], MEASURES, source_district=d,
               period_end=end, column="upper_ci")
        fs.add("confidence", f"{100 * r['confidence']:g}%", 100 * r["confidence"], MEASURES,
               source_district=d, period_end=end, column="confidence")
    if d != NATIONAL_CODE:
        nz = _row(m.filter((pl.col("district_code") == NATIONAL_CODE)
                           & (pl.col("measure_id") == fs.measure_id)
                           & (pl.col("breakdown") == fs.breakdown)), end)
        if nz is not None and _state(nz) == "published":
            fs.add("nz_value", _value_text(nz), nz["value"], MEASURES, source_district=NATIONAL_CODE,
                   period_end=end, column="value")
            if "lower_ci" in fs:
                fs.add("nz_comparison", _compare(r, nz["value"]), None, DERIVED, source_district=d,
                       period_end=end, column="New Zealand value against lower_ci, upper_ci")
    if t is not None:
        spc = t.filter((pl.col("district_code") == d) & (pl.col("measure_id") == fs.measure_id)
                       & (pl.col("period_end") == end))
        if spc.height:
            fs.add("spc", spc.item(0, "point_type"), None, TREND, source_district=d,
                   period_end=end, column="point_type")


_NZ_WORDS = {"similar": "similar to", "higher": "higher than", "lower": "lower than"}


def _compare(r: dict, national: float) -> str:
    """Fingertips' default (comparisons.compare_with_benchmark without polarity): similar when
    New Zealand's value lies inside the district's CI, else higher or lower."""
    return _NZ_WORDS[compare_with_benchmark(r["value"], r["lower_ci"], r["upper_ci"], national, None)]


def _first_clause(reason: str | None) -> str:
    return (reason or "withheld").split(";")[0].strip()


def _equity(fs: FactSet, rows: pl.DataFrame, e: pl.DataFrame) -> None:
    latest_end = fs.facts["period"]["period_end"]
    prev_end = year_earlier(latest_end)
    d = fs.district_code
    mine = e.filter((pl.col("district_code") == d) & (pl.col("measure_id") == fs.measure_id))
    for g in EQUITY_GROUPS:
        now = _row(mine, latest_end, g)
        if now is None:
            continue
        if not is_number(now["rate_ratio"]):
            fs.add(f"rr_{g}_state", "suppressed", None, EQUITY, source_district=d,
                   period_end=latest_end, group_id=g, column="suppressed")
            continue
        fs.add(f"rr_{g}", fmt_ratio(now["rate_ratio"]), now["rate_ratio"], EQUITY, source_district=d,
               period_end=latest_end, group_id=g, column="rate_ratio")
        before = _row(mine, prev_end, g)
        if before is None or not is_number(before["rate_ratio"]):
            continue
        fs.add(f"rr_{g}_previous", fmt_ratio(before["rate_ratio"]), before["rate_ratio"], EQUITY,
               source_district=d, period_end=prev_end, group_id=g, column="rate_ratio")
        gap_now, gap_before = abs(math.log(now["rate_ratio"])), abs(math.log(before["rate_ratio"]))
        same = fmt_ratio(now["rate_ratio"]) == fmt_ratio(before["rate_ratio"])
        fs.add(f"gap_{g}", "did not change" if same else "narrowed" if gap_now < gap_before
               else "widened", None, DERIVED, source_district=d, period_end=latest_end, group_id=g,
               column="|ln rate_ratio| now against a year earlier")


def _decomposition(fs: FactSet, decomposition: pl.DataFrame) -> None:
    """The largest published contribution to the change, by decomposition (ethnic group,
    condition group, …), from marts.change_decomposition."""
    end = fs.facts["period"]["period_end"]
    mine = decomposition.filter(
        (pl.col("district_code") == fs.district_code) & (pl.col("measure_id") == fs.measure_id)
        & (pl.col("period_end") == end) & pl.col("contribution").is_not_null()
        & ~pl.col("suppressed"))
    if mine.is_empty():
        return
    decimals = value_decimals(fs.text("unit"))
    for (kind,), rows in mine.partition_by("decomposition", as_dict=True, maintain_order=True).items():
        top = rows.sort(pl.col("contribution").abs(), "component", descending=[True, False]).row(0, named=True)
        # group_id holds the part (component) and column the decomposition it belongs to.
        fs.add(f"{kind}_top", top["label"], None, DECOMPOSITION, source_district=fs.district_code,
               period_end=end, group_id=top["component"], column=f"label ({kind})")
        fs.add(f"{kind}_top_contribution", fmt_number(abs(top["contribution"]), decimals),
               top["contribution"], DECOMPOSITION, source_district=fs.district_code, period_end=end,
               group_id=top["component"], column=f"contribution ({kind})")
        fs.add(f"{kind}_top_direction", "up" if top["contribution"] > 0 else "down", None,
               DECOMPOSITION, source_district=fs.district_code, period_end=end,
               group_id=top["component"], column=f"sign of contribution ({kind})")


def _milestone(fs: FactSet, rows: pl.DataFrame, targets: pl.DataFrame) -> None:
    from pipelines.commentary.milestones import events_to_reach
    from pipelines.commentary.targets import next_milestones

    end = fs.facts["period"]["period_end"]
    for target in next_milestones(targets, fs.district_code, fs.measure_id, end).iter_rows(named=True):
        g = target["group_id"]
        r = _row(rows, end, g)
        if r is None or _state(r) != "published" or not is_number(r["denominator"]):
            continue
        gap = events_to_reach(r["value"], target["target_value"], r["denominator"], r["multiplier"],
                              r["period_start"], r["period_end"], r["direction"])
        key = f"milestone_{g}"
        fs.add(key, _value_text({**r, "value": target["target_value"]}), target["target_value"],
               TARGETS, source_district=fs.district_code, period_end=end, group_id=g,
               column="target_value")
        fs.add(f"{key}_label", target["target_label"], None, TARGETS, source_district=fs.district_code,
               period_end=end, group_id=g, column="target_label")
        if g != "total":
            fs.add(f"{key}_value", _value_text(r), r["value"], MEASURES, source_district=fs.district_code,
                   period_end=end, group_id=g, column="value")
        if gap.met:
            fs.add(f"{key}_met", "met", None, DERIVED, source_district=fs.district_code,
                   period_end=end, group_id=g, column="value against target_value")
            continue
        fs.add(f"{key}_events", gap.text, gap.events_per_period, DERIVED,
               source_district=fs.district_code, period_end=end, group_id=g,
               column="(value − target) × denominator / multiplier / periods in window")
        fs.add(f"{key}_per", gap.per, None, DERIVED, source_district=fs.district_code,
               period_end=end, group_id=g, column="period_start, period_end")
        fs.add(f"{key}_change", gap.change, None, DERIVED, source_district=fs.district_code,
               period_end=end, group_id=g, column="direction")
