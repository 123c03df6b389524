"""Write the evaluation to the warehouse and the exports: the one place its outputs are made."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines.measures.measure_config import MeasureConfig

from .counts import evaluable, quarterly_counts
from .estimates import evaluate
from .register import initiatives, load_register

ESTIMATES_TABLE = "marts.initiative_estimates"
SERIES_TABLE = "marts.initiative_series"
EXPORT_NAME = "slm_initiative_estimates"


def run_evaluation(con: duckdb.DuckDBPyConnection, config: MeasureConfig, register_file: Path,
                   exports: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    measures = {m.measure_id: m for m in evaluable(con, list(config.measures.values()))}
    register = load_register(register_file, evaluable=set(measures))
    todo = initiatives(register)
    wanted = {t[0] for ini in todo for t in ini.targets}
    counts = {mid: quarterly_counts(con, measures[mid]) for mid in sorted(wanted)}
    min_count = int(config.suppression.get("min_numerator_count", 5))
    estimates, series = evaluate(todo, counts, {m: measures[m].multiplier for m in wanted},
                                 min_count=min_count,
                                 confidence=float(config.defaults.get("confidence", 0.95)))
    for table, frame in ((ESTIMATES_TABLE, estimates), (SERIES_TABLE, series)):
        con.register("_evaluation_frame", frame)
        try:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _evaluation_frame")
        finally:
            con.unregister("_evaluation_frame")
    exports.mkdir(parents=True, exist_ok=True)
    estimates.write_parquet(exports / f"{EXPORT_NAME}.parquet")
    estimates.write_csv(exports / f"{EXPORT_NAME}.csv")
    return estimates, series
