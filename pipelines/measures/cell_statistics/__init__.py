"""One module per statistic a measure can name in measures.yaml (`statistic: crude_rate`).

Each module exposes
    compute(cells, measure, confidence) -> rows
        cells: marts.<measure>_cells summed into reporting groups (pipelines.measures.tidy_rows),
        columns KEYS + stratum + numerator + denominator + withheld + blocking_rules (+ extras
        the measure's SQL adds, e.g. weights); rows: one per KEYS with numerator, denominator,
        value, lower_ci, upper_ci, method, withheld, blocking_rules (+ any REPRODUCE_COLUMNS).
    compare(cells, measure, comparator, confidence) -> equity rows
        one per KEYS minus group + group_id, against `comparator`: ratio, ratio_lowercl,
        ratio_uppercl, difference, difference_lowercl, difference_uppercl, method.
Adding a statistic = adding a module here; publish finds it by name.
"""

from __future__ import annotations

import importlib
from types import ModuleType

KEYS = ["period_start", "period_end", "district_code", "group_id", "breakdown"]
EQUITY_KEYS = ["period_start", "period_end", "district_code", "breakdown"]
ROW_COLUMNS = [*KEYS, "numerator", "denominator", "value", "lower_ci", "upper_ci", "method",
               "withheld", "blocking_rules"]
# Optional columns a statistic adds when value is not numerator / denominator × multiplier, so a
# reader can recompute it from the row (docs/warehouse.md): weighted means value = numerator /
# weight_sum with effective_n (Kish) for the interval; indirectly standardised rates value =
# numerator / expected × reference_rate.
REPRODUCE_COLUMNS = ["weight_sum", "effective_n", "expected", "reference_rate"]


def statistic_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"pipelines.measures.cell_statistics.{name}")
    except ModuleNotFoundError as exc:
        raise NotImplementedError(f"no statistic module pipelines/measures/cell_statistics/{name}.py") from exc
