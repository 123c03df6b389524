"""Evaluating alliance initiatives (issue 14): the estimates table and its export.

Reads the initiatives register (SLM_INITIATIVES, default initiatives/register.csv, checked by
data_contracts/registers/initiatives.odcs.yaml) and the measures' event tables; writes
marts.initiative_estimates, marts.initiative_series and data/exports/slm_initiative_estimates.*.
Methods: docs/evaluation.md.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines.defs.automation_conditions import REFRESH_WHEN_UPSTREAM_CHANGES
from pipelines.defs.resources import Warehouse
from pipelines.defs.transform import measures_with_sql
from pipelines.evaluation.publish import EXPORT_NAME, run_evaluation
from pipelines.evaluation.register import register_path
from pipelines.measures.measure_config import default_config

MEASURE_ASSETS = [dg.AssetKey(f"measure_{m.measure_id}") for m in measures_with_sql()]


@dg.asset(group_name="evaluation", deps=MEASURE_ASSETS, kinds={"duckdb", "parquet", "csv"},
          automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
          description="Initiative effects: interrupted time series, difference-in-differences "
          "and synthetic control on quarterly counts; power; the pack's figures come from here.")
def initiative_estimates(warehouse: Warehouse) -> dg.MaterializeResult:
    exports = Path(warehouse.exports)
    with warehouse.connect() as con:
        estimates, _ = run_evaluation(con, default_config(), register_path(), exports)
    counts = estimates.group_by("status").len().sort("status").rows()
    return dg.MaterializeResult(metadata={
        "rows": estimates.height,
        "initiatives": estimates["initiative_id"].n_unique() if estimates.height else 0,
        "by_status": ", ".join(f"{s}: {n}" for s, n in counts) or "none",
        "export": dg.MetadataValue.path(str(exports / f"{EXPORT_NAME}.parquet")),
    })


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[initiative_estimates])
