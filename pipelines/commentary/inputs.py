"""Build marts.change_inputs from the measures' cells and events (sql/commentary/).

sql/commentary/change_inputs.sql creates the table; each `<measure>_<decomposition>.sql` beside it
adds one decomposition's rows and runs only when every marts table it reads exists (a warehouse
without mortality data simply has no cause_group rows).
"""

from __future__ import annotations

import re

import duckdb

from pipelines.config import SQL_DIR
from pipelines.measures.measure_config import MeasureConfig
from pipelines.measures.run_sql import reset_variables
from pipelines.warehouse import read_sql, run_sql_file, set_variables, table_exists

COMMENTARY_SQL = SQL_DIR / "commentary"
_MARTS = re.compile(r"\bmarts\.([a-z0-9_]+)")


def build_change_inputs(con: duckdb.DuckDBPyConnection, config: MeasureConfig) -> list[str]:
    """Rebuild marts.change_inputs; returns the decompositions whose inputs were built."""
    reset_variables(con)
    amenable = config.measures.get("amenable_mortality")
    settings = amenable.settings if amenable else {}
    set_variables(con, {
        "am_standard_population": settings.get("standard_population", "who_2000_2025"),
        "am_renormalise_weights": bool(settings.get("renormalise_weights", True)),
        "am_multiplier": float(settings.get("multiplier", 100_000)),
    })
    run_sql_file(con, COMMENTARY_SQL / "change_inputs.sql")
    built = []
    for path in sorted(COMMENTARY_SQL.glob("*.sql")):
        if path.name == "change_inputs.sql":
            continue
        needed = set(_MARTS.findall(read_sql(path))) - {"change_inputs"}
        if all(table_exists(con, "marts", t) for t in needed):
            run_sql_file(con, path)
            built.append(path.stem)
    reset_variables(con)
    return built
