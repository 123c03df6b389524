"""Planted truth: the expected value of each measure under the planted process.

For a rate over a rolling 12-month window W with 30 June year Y:
  expected_numerator = Σ_{quarters q in W} Σ_cells rate(cell, q) × population_{year(q)}(cell) / 4
  denominator        = Σ_cells population_Y(cell)           (cells restricted to the measure's ages)
  expected_value     = expected_numerator / denominator × multiplier
`rate` is the planted "numerator per person-year" (events, or bed days for acute bed days) that
the generator drew Poisson counts from, so these are exact expectations given the written
population files.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from .calendar import Quarter, Window
from .reference import GROUP_IDS, districts

MEASURES_FILE = Path(__file__).resolve().parents[2] / "measures.yaml"
NATIONAL = "000"
# Reported groups as sets of planted groups (Māori, Pacific, Asian, European or Other).
GROUP_SETS = {
    "maori": [0], "pacific": [1], "asian": [2], "european_other": [3],
    "nmnp": [2, 3], "total": [0, 1, 2, 3],
}
TRUTH_COLUMNS = [
    "measure_id", "district_code", "group_id", "period_start", "period_end", "period_label",
    "expected_numerator", "denominator", "expected_value", "multiplier", "definition_version",
    "breakdown",  # e.g. survey:domain for patient experience; null when a measure has none
]


@cache
def _measures() -> dict:
    with open(MEASURES_FILE, encoding="utf-8") as f:
        return yaml.safe_load(f)["measures"]


def measure_definition(measure_id: str) -> dict:
    return _measures()[measure_id]


def rolling_rate_truth(
    measure_id: str,
    windows: list[Window],
    expected_by_quarter: dict[Quarter, np.ndarray],  # (district, group) expected numerators
    denominators_by_year: dict[int, np.ndarray],  # (district, group) population in the age range
) -> pl.DataFrame:
    spec = measure_definition(measure_id)
    multiplier = float(spec["multiplier"])
    codes = [d.code3 for d in districts()]
    rows = []
    for w in windows:
        num = sum(expected_by_quarter[q] for q in w.quarters)
        den = denominators_by_year[w.population_year]
        for district_code, sel in [(NATIONAL, slice(None)), *[(c, [i]) for i, c in enumerate(codes)]]:
            for group_id, groups in GROUP_SETS.items():
                n = float(num[sel][:, groups].sum())
                p = float(den[sel][:, groups].sum())
                rows.append((
                    measure_id, district_code, group_id, w.start, w.end, w.label, n, p,
                    n / p * multiplier if p > 0 else None, multiplier, spec["definition_version"],
                    None,
                ))
    return pl.DataFrame(rows, schema=TRUTH_SCHEMA, orient="row")


TRUTH_SCHEMA = {c: pl.String for c in TRUTH_COLUMNS} | {
    "period_start": pl.Date, "period_end": pl.Date, "expected_numerator": pl.Float64,
    "denominator": pl.Float64, "expected_value": pl.Float64, "multiplier": pl.Float64,
}


def aggregate_truth(measure_id: str, cells: pl.DataFrame) -> pl.DataFrame:
    """Truth rows from per-cell expectations.

    `cells` has period_start, period_end, period_label, district_code, group_id (one of the four
    planted groups), breakdown, expected_numerator, denominator. Each reported value is
    Σ expected_numerator / Σ denominator × multiplier over the district and group set, which is the
    expected value of the measure given the written denominators (population, respondents' weights
    or records with a known answer). Sums run in numpy, in a fixed order, so output is
    reproducible to the last bit.
    """
    spec = measure_definition(measure_id)
    multiplier = float(spec.get("multiplier", 1))
    codes = [d.code3 for d in districts()]
    d_index = {c: i for i, c in enumerate(codes)}
    g_index = {g: i for i, g in enumerate(GROUP_IDS)}
    keys = ["period_start", "period_end", "period_label", "breakdown"]
    rows = []
    for key in cells.select(keys).unique().sort(keys, nulls_last=True).iter_rows():
        part = cells.filter(*[pl.col(k).eq_missing(v) for k, v in zip(keys, key, strict=True)])
        idx = (np.array([d_index[c] for c in part["district_code"]], dtype=np.int64),
               np.array([g_index[g] for g in part["group_id"]], dtype=np.int64))
        num = np.zeros((len(codes), 4))
        den = np.zeros((len(codes), 4))
        np.add.at(num, idx, part["expected_numerator"].to_numpy())
        np.add.at(den, idx, part["denominator"].to_numpy())
        for district_code, sel in [(NATIONAL, slice(None)), *[(c, [i]) for i, c in enumerate(codes)]]:
            for group_id, groups in GROUP_SETS.items():
                n = float(num[sel][:, groups].sum())
                p = float(den[sel][:, groups].sum())
                rows.append((measure_id, district_code, group_id, key[0], key[1], key[2], n, p,
                             n / p * multiplier if p > 0 else None, multiplier,
                             spec["definition_version"], key[3]))
    return pl.DataFrame(rows, schema=TRUTH_SCHEMA, orient="row").select(TRUTH_COLUMNS)


def group_frame(values: dict[str, np.ndarray], **keys) -> pl.DataFrame:
    """Long frame of (district, group) arrays: one column per entry of `values`."""
    codes = [d.code3 for d in districts()]
    d, g = np.meshgrid(np.arange(len(codes)), np.arange(4), indexing="ij")
    return pl.DataFrame({
        **{k: [v] * d.size for k, v in keys.items()},
        "district_code": [codes[i] for i in d.ravel()],
        "group_id": [GROUP_IDS[i] for i in g.ravel()],
        **{name: arr.ravel().astype(float) for name, arr in values.items()},
    })
