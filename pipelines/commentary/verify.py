"""Checks that the commentary says only what the tables say. Used by the tests and by the Dagster
asset checks on every run.

1. numbers_untraced: every digit of every drafted paragraph belongs to the text of one of the
   facts the paragraph lists (fact texts are removed, longest first; no digit may remain).
2. facts_unmatched: every fact read from marts.measures / marts.equity equals its cell (value to
   1e-9 relative, and its text is that value formatted as the tables format it); every derived
   fact (a change over the year) equals the difference of its two cells.
"""

from __future__ import annotations

import math
import re

import polars as pl

from pipelines.commentary.facts import (
    DERIVED,
    EQUITY,
    MEASURES,
    fmt_ratio,
    lower_first,
    year_earlier,
)
from pipelines.dashboards.frames import fmt_number, normalise_equity, normalise_measures, value_decimals

_DIGIT = re.compile(r"\d")


def numbers_untraced(drafts: pl.DataFrame, facts: pl.DataFrame) -> list[str]:
    text_of = dict(zip(facts["fact_id"], facts["text"], strict=True))
    problems = []
    for r in drafts.iter_rows(named=True):
        rest = r["paragraph"]
        missing = [f for f in r["fact_ids"] if f not in text_of]
        if missing:
            problems.append(f"{r['district_code']} {r['measure_id']}: fact ids not in the facts table: {missing}")
        for text in sorted((text_of[f] for f in r["fact_ids"] if f in text_of), key=len, reverse=True):
            rest = rest.replace(text, "")
        if _DIGIT.search(rest):
            problems.append(f"{r['district_code']} {r['measure_id']}: digits not from a fact: {rest!r}")
    return problems


def facts_unmatched(facts: pl.DataFrame, measures: pl.DataFrame, equity: pl.DataFrame) -> list[str]:
    m = _Cells(normalise_measures(measures))
    e = _Cells(normalise_equity(equity))
    problems = []
    for f in facts.iter_rows(named=True):
        where = f"fact {f['fact_id']}"
        if f["source"] == MEASURES:
            cell = m.get(f["source_district"], f["measure_id"], f["period_end"], f["group_id"],
                         f["breakdown"])
            if cell is None:
                problems.append(f"{where}: no cell in marts.measures")
            elif f["column"] in ("value", "lower_ci", "upper_ci"):
                problems += _number(where, f, cell[f["column"]], fmt_number(cell[f["column"]],
                                                                             value_decimals(cell["unit"])))
            elif f["column"] == "period_label" and f["text"] != lower_first(cell["period_label"]):
                problems.append(f"{where}: {f['text']!r} is not the period label {cell['period_label']!r}")
            elif f["column"] == "unit" and f["text"] != (cell["unit"] or ""):
                problems.append(f"{where}: {f['text']!r} is not the unit {cell['unit']!r}")
            elif f["column"] == "suppression_reason" and not cell["suppressed"]:
                problems.append(f"{where}: says suppressed but the cell is not")
            elif f["column"] == "confidence":
                problems += _number(where, f, 100 * cell["confidence"], f"{100 * cell['confidence']:g}%")
        elif f["source"] == EQUITY and f["column"] == "rate_ratio":
            cell = e.get(f["source_district"], f["measure_id"], f["period_end"], f["group_id"],
                         f["breakdown"])
            if cell is None:
                problems.append(f"{where}: no cell in marts.equity")
            else:
                problems += _number(where, f, cell["rate_ratio"], fmt_ratio(cell["rate_ratio"])
                                    if cell["rate_ratio"] is not None else "")
        elif f["source"] == DERIVED and f["fact"] == "change":
            now = m.get(f["source_district"], f["measure_id"], f["period_end"], "total", f["breakdown"])
            before = m.get(f["source_district"], f["measure_id"], year_earlier(f["period_end"]),
                           "total", f["breakdown"])
            if now is None or before is None or now["value"] is None or before["value"] is None:
                problems.append(f"{where}: a change needs both years published")
            else:
                diff = now["value"] - before["value"]
                problems += _number(where, f, diff, fmt_number(abs(diff), value_decimals(now["unit"])))
    return problems


class _Cells:
    """A table's cells by (district, measure, window end, group, breakdown): the first row with
    that key, as a filter would find it. Indexed once: a filter per fact took 5 s for the 4,612
    facts of the national demo, once in the check and again in the commentary. A key with a
    missing part matches nothing, as a comparison with null does in a filter."""

    KEY = ("district_code", "measure_id", "period_end", "group_id", "breakdown")

    def __init__(self, frame: pl.DataFrame) -> None:
        self._rows: dict[tuple, dict] = {}
        for row in frame.iter_rows(named=True):
            key = tuple(row[c] for c in self.KEY)
            if None not in key:
                self._rows.setdefault(key, row)

    def get(self, district: str, measure_id: str, period_end, group_id: str, breakdown: str) -> dict | None:
        return self._rows.get((district, measure_id, period_end, group_id, breakdown))


def _number(where: str, fact: dict, expected: float | None, expected_text: str) -> list[str]:
    if expected is None or fact["value"] is None:
        return [f"{where}: value {fact['value']} but the cell holds {expected} (suppressed or withheld?)"]
    if not math.isclose(fact["value"], expected, rel_tol=1e-9, abs_tol=1e-12):
        return [f"{where}: value {fact['value']} but the cell holds {expected}"]
    if fact["text"] != expected_text:
        return [f"{where}: prints {fact['text']!r} but the cell formats as {expected_text!r}"]
    return []


WITHHELD_TEXT = ("Commentary withheld: a number in the draft could not be verified against the "
                 "published tables.")


def unverified_paragraphs(drafts: pl.DataFrame, facts: pl.DataFrame, measures: pl.DataFrame,
                          equity: pl.DataFrame) -> set[tuple[str, str]]:
    """(district_code, measure_id) of every paragraph failing either check."""
    bad = {tuple(p.split(" ", 2)[:2]) for p in numbers_untraced(drafts, facts)}
    for problem in facts_unmatched(facts, measures, equity):
        district, measure_id = problem.removeprefix("fact ").split(":")[:2]
        bad.add((district, measure_id))
    return {(d, m.rstrip(":")) for d, m in bad}


def withhold_unverified(drafts: pl.DataFrame, unverified: set[tuple[str, str]]) -> pl.DataFrame:
    if not unverified:
        return drafts
    keys = pl.DataFrame(sorted(unverified), schema=["district_code", "measure_id"], orient="row")
    hit = pl.struct("district_code", "measure_id").is_in(keys.to_struct().implode())
    return drafts.with_columns(
        pl.when(hit).then(pl.lit(WITHHELD_TEXT)).otherwise(pl.col("paragraph")).alias("paragraph"),
        pl.when(hit).then(pl.lit([], pl.List(pl.String))).otherwise(pl.col("fact_ids")).alias("fact_ids"))
