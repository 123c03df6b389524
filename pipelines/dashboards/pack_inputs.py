"""What the pack reads besides the published marts: the milestones file and the quarterly points.

Kept apart from the Dagster wiring so the asset stays a few lines and the CLI (spc_share) and
tests read the same inputs the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import polars as pl

from pipelines.dashboards.quarterly import quarterly_points
from pipelines.dashboards.targets import EXAMPLE_TARGETS, load_targets
from pipelines.measures.measure_config import default_config

TARGETS_ENV = "SLM_TARGETS"


def targets_path() -> Path:
    """SLM_TARGETS if set, else the example file the demo ships (docs/pack.md)."""
    return Path(os.environ.get(TARGETS_ENV) or EXAMPLE_TARGETS)


def pack_targets(path: Path | None = None, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """The milestones file, checked; with the warehouse connection `con`, GX's recorded verdict on
    the same bytes is reused instead of importing and running GX again in every refresh."""
    return load_targets(path or targets_path(), default_config().measures, verdicts=con)


def pack_points(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    config = default_config()
    multipliers = {mid: m.multiplier for mid, m in config.measures.items()}
    return quarterly_points(con, multipliers, int(config.suppression.get("min_numerator_count", 5)))


def directions() -> dict[str, str]:
    return {mid: m.direction for mid, m in default_config().measures.items()}
