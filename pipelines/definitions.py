"""The Dagster code location: everything under pipelines/defs/, found automatically."""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        # One process: DuckDB allows one writer, and Great Expectations costs ~5 s to import per
        # process, so running steps in-process is both safe and faster here.
        dg.Definitions(executor=dg.in_process_executor),
    )
