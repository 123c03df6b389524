"""The data dictionary written beside the exports (slm_data_dictionary.csv): one line per column
of slm_measures and slm_equity with its type and meaning, in words a spreadsheet user reads.

Every exported column must have a meaning here: write() refuses a column without one, so the
dictionary cannot fall behind the export. docs/warehouse.md says the same at more length.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

FILE_NAME = "slm_data_dictionary.csv"

_COMMON = {
    "district_code": "District (DHB) code, 3 digits; 000 = New Zealand.",
    "measure_id": "Measure identifier (measures.yaml).",
    "period_end": "Last day of the reporting window.",
    "group_id": "Ethnic group: maori, pacific, nmnp (non-Māori non-Pacific), total, asian, european_other "
                "(prioritised ethnicity).",
    "breakdown": "Measure-specific breakdown (e.g. survey:domain, condition group); empty for the headline.",
    "method": "Interval method as the statistics module names it; the reason when there is no value.",
    "suppressed": "true when the row has too few events or respondents to publish: numerator, value and "
                  "limits are then empty.",
    "confidence_level": "Confidence level of the interval, e.g. 95%.",
    "comparator": "The group the equity comparisons are against, in words (nMnP = non-Māori non-Pacific).",
}

MEANINGS: dict[str, dict[str, str]] = {
    "slm_measures": {
        **_COMMON,
        "district_name": "District name; New Zealand for the national row.",
        "measure_name": "Measure name.",
        "period_start": "First day of the reporting window.",
        "period_label": "The window in words, e.g. Year to Dec 2025.",
        "numerator": "Events counted (patient experience: Σ weight × score, the sum of weighted scores; "
                     "indirectly standardised: observed events in strata with a national rate). Empty when "
                     "suppressed.",
        "denominator": "Population, presentations or people the numerator is out of (patient experience: "
                       "respondents).",
        "value": "The published figure; see value_formula for how it follows from this row.",
        "lower_ci": "Lower confidence limit (confidence_level, ci_method).",
        "upper_ci": "Upper confidence limit (confidence_level, ci_method).",
        "confidence": "Confidence level as a fraction (0.95).",
        "unit": "Unit of value.",
        "multiplier": "Scale of value: per 100,000 (100000), per 1,000, percent (100) or 1.",
        "suppression_reason": "Why the row is suppressed.",
        "status": "published, or withheld when the window holds a period that failed a data contract rule.",
        "status_reason": "Why the row is withheld, and notes on an incomplete definition.",
        "definition_version": "Version of the measure's definition that produced the row.",
        "definition_status": "complete, or incomplete when the measure does not yet follow its published "
                             "definition in full (definition_note says how).",
        "direction": "lower_is_better or higher_is_better.",
        "definition_note": "How and why the measure differs from its published definition, if it does.",
        "series_break": "true when the window holds data from both sides of a known break in the source "
                        "series (a trend chart marks it).",
        "series_note": "The break affecting this row's series from this window on (not comparable with "
                       "earlier windows).",
        "weight_sum": "Weighted means only: Σ survey weights; value = numerator / weight_sum.",
        "effective_n": "Weighted means only: Kish effective sample size (Σw)² / Σw², whose t quantile sets "
                       "the interval.",
        "expected": "Indirectly standardised rates only: expected events E from New Zealand's age × sex rates; "
                    "value = numerator / expected × reference_rate.",
        "reference_rate": "Indirectly standardised rates only: New Zealand's crude rate per multiplier in the "
                          "same window.",
        "standard_population": "Directly standardised rates only: the standard population and age bands used.",
        "value_formula": "How value follows from this row's columns.",
        "ci_method": "The interval method in words.",
    },
    "slm_equity": {
        **_COMMON,
        "comparator_group": "Comparator group id (nmnp).",
        "rate_ratio": "The group's value ÷ the comparator's (empty for scores, where a ratio means nothing).",
        "rr_lower": "Lower confidence limit of rate_ratio.",
        "rr_upper": "Upper confidence limit of rate_ratio.",
        "rate_difference": "The group's value − the comparator's, in the measure's unit.",
        "rd_lower": "Lower confidence limit of rate_difference.",
        "rd_upper": "Upper confidence limit of rate_difference.",
    },
}


def dictionary(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    rows = []
    for table, frame in tables.items():
        meanings = MEANINGS.get(table, {})
        missing = [c for c in frame.columns if c not in meanings]
        if missing:
            raise ValueError(f"{table}: no data-dictionary meaning for columns {missing} "
                             f"(pipelines/measures/export_dictionary.py)")
        rows += [(table, c, str(t), meanings[c]) for c, t in frame.schema.items()]
    return pl.DataFrame(rows, schema=["table", "column", "type", "meaning"], orient="row")


def write(tables: dict[str, pl.DataFrame], out: Path) -> Path:
    path = out / FILE_NAME
    dictionary(tables).write_csv(path)
    return path
