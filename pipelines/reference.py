"""Reference data: versioned CSVs under reference/ loaded into the `ref` schema.

Codes are kept as text (district '011', ethnicity '21'); only the columns named in REF_TYPES are
numeric. A file `name_v2.csv` loads as table `ref.name`: the version lives in the file name and in a
version column, so outputs can say which list produced them.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipelines.config import REFERENCE_DIR
from pipelines.warehouse import execute, scalar

REF_TYPES: dict[str, dict[str, str]] = {
    "ash_conditions": {"age_min_months": "INTEGER", "age_max_months": "INTEGER"},
    "amenable_mortality": {"age_min": "INTEGER", "age_max": "INTEGER"},
    "ethnicity_level2": {"prio_rank_l1": "INTEGER"},
    "standard_population": {"who_2000_2025_pct": "DOUBLE", "segi_pct": "DOUBLE", "esp2013_pct": "DOUBLE"},
    "pes_items": {"score": "DOUBLE"},
}

_VERSION_SUFFIX = re.compile(r"_v\d+$")


def table_name(path: Path) -> str:
    return _VERSION_SUFFIX.sub("", path.stem)


def reference_files(root: Path = REFERENCE_DIR) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*.csv")):
        name = table_name(path)
        if name in files:
            raise ValueError(f"two versions of reference table {name}: {files[name]} and {path}")
        files[name] = path
    return files


def load_reference(con: duckdb.DuckDBPyConnection, root: Path = REFERENCE_DIR) -> dict[str, int]:
    """(Re)load every reference CSV; returns row counts by table."""
    execute(con, "CREATE SCHEMA IF NOT EXISTS ref")
    counts = {}
    for name, path in reference_files(root).items():
        types = REF_TYPES.get(name, {})
        casts = ", ".join(
            f"TRY_CAST(NULLIF(trim({col}), '') AS {typ}) AS {col}" for col, typ in types.items()
        )
        replace = f" REPLACE ({casts})" if casts else ""
        execute(
            con,
            f"CREATE OR REPLACE TABLE ref.{name} AS "
            f"SELECT *{replace} FROM read_csv(?, header = true, all_varchar = true)",
            [str(path)],
        )
        counts[name] = scalar(con, f"SELECT count(*) FROM ref.{name}")
    return counts
