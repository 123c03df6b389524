"""Reconcile our unit-record measures with the Ministry's published aggregates (raw.moh_release).

The Ministry recalculates every period in each release, so staging.moh_release keeps the latest
release for each period_end; sql/reconciliation/moh_release.sql then puts our numerator,
denominator and rate beside the Ministry's for every district × group × period_end both cover
and flags differences beyond the tolerance. Differences are reported, never dropped.
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.config import SQL_DIR
from pipelines.measures.measure_config import default_config
from pipelines.warehouse import run_sql_file, set_variables

SQL = SQL_DIR / "reconciliation" / "moh_release.sql"

# Ministry sheet → our measure. Bed days compare with our crude rate: the release carries the
# numerator (bed days) and denominator (population), which any standardisation leaves unchanged.
PAIRS = {"ash_0_4": "ash_0_4", "acute_bed_days": "acute_bed_days_crude"}

# A difference is flagged beyond this share of the Ministry's value (measures.yaml, with its why).
RELATIVE_TOLERANCE = float(default_config().defaults["reconciliation_relative_tolerance"])


def reconcile(con: duckdb.DuckDBPyConnection, relative_tolerance: float = RELATIVE_TOLERANCE,
              pairs: dict[str, str] | None = None) -> pl.DataFrame:
    """Build marts.moh_reconciliation and return it."""
    pairs = PAIRS if pairs is None else pairs
    set_variables(con, {"moh_sheets": list(pairs), "our_measures": list(pairs.values()),
                        "relative_tolerance": float(relative_tolerance)})
    run_sql_file(con, SQL)
    return con.sql("SELECT * FROM marts.moh_reconciliation").pl()
