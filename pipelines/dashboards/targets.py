"""The improvement-plan milestones file, read whole and checked by its own contract.

data_contracts/pack/targets.odcs.yaml is the one statement of what a targets file must look like;
this module types the file as that contract says, runs the contract's Great Expectations suite,
and refuses the file when any row breaks an error rule, naming file, row and column. A milestone
is a plan commitment: half a plan is worse than none, so nothing is partly loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipelines import contracts
from pipelines.config import CONTRACTS_DIR, PROJECT_ROOT
from pipelines.contracts.hand_kept import check_hand_kept_file
from pipelines.sources.readers import ROW_NUMBER

TARGETS_CONTRACTS_DIR = CONTRACTS_DIR / "pack"
EXAMPLE_TARGETS = PROJECT_ROOT / "reference" / "targets" / "slm_targets_example.csv"
GAP_GROUPS = {"maori_gap": "maori", "pacific_gap": "pacific"}

TARGETS_SCHEMA = {
    "district_code": pl.String, "measure_id": pl.String, "year": pl.Int32, "group": pl.String,
    "milestone": pl.Float64, "note": pl.String, "period_end": pl.Date,
}


class TargetsError(ValueError):
    """A targets file the pack refuses; the message lists every offending row and column."""


def milestone_period_end(year: int) -> date:
    """A milestone for year Y is judged on the window ending 30 June of Y (financial year end)."""
    return date(year, 6, 30)


def empty_targets() -> pl.DataFrame:
    return pl.DataFrame(schema=TARGETS_SCHEMA)


def load_targets(path: Path, known_measures: Iterable[str] | None = None,
                 verdicts: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Read and validate a targets CSV; return one row per milestone with its period_end.

    known_measures: measure ids the pipeline publishes; a milestone on any other id is refused.
    verdicts: a warehouse connection, to reuse Great Expectations' recorded verdict on the same
    bytes (pipelines.contracts.hand_kept).
    """
    path = Path(path)
    contract = contracts.load_contract("targets", TARGETS_CONTRACTS_DIR)
    try:
        checked = check_hand_kept_file(path, contract, validate=True, verdicts=verdicts)
    except Exception as exc:  # unreadable file: say which
        raise TargetsError(f"{path.name}: cannot be read as a targets file: {exc}") from exc
    if checked.missing_columns:
        raise TargetsError(f"{path.name}: missing required column(s) {', '.join(checked.missing_columns)}")
    typed = checked.typed
    messages = sorted({(row, reason) for row, _, reason in checked.problems})
    if known_measures is not None:
        known = set(known_measures)
        messages += [(r[ROW_NUMBER], f"column measure_id: '{r['measure_id']}' is not a published measure")
                     for r in typed.iter_rows(named=True)
                     if r["measure_id"] is not None and r["measure_id"] not in known]
    if messages or checked.blocking_rules:
        lines = [f"{path.name}, row {row}: {reason}" for row, reason in sorted(messages)]
        if not lines:  # a rule GX failed that no row predicate names (should not happen)
            lines = [f"{path.name}: contract rules failed: {', '.join(checked.blocking_rules)}"]
        raise TargetsError("targets file refused (contract data_contracts/pack/targets.odcs.yaml):\n"
                           + "\n".join(lines))
    return typed.select(
        "district_code", "measure_id", pl.col("year").cast(pl.Int32), "group", "milestone",
        pl.col("note") if "note" in typed.columns else pl.lit(None, pl.String).alias("note"),
    ).with_columns(
        pl.col("year").map_elements(milestone_period_end, return_dtype=pl.Date).alias("period_end")
    ).sort("district_code", "measure_id", "group", "year")
