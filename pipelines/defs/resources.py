"""The warehouse resource: one DuckDB file and the landing folder it is fed from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import warehouse
from pipelines.config import Settings


class Warehouse(dg.ConfigurableResource):
    """Paths default to the environment (SLM_WAREHOUSE, SLM_LANDING, …; see .env.example)."""

    database: str
    landing: str
    dashboards: str
    exports: str

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Warehouse:
        s = settings or Settings.from_env()
        return cls(database=str(s.warehouse), landing=str(s.landing),
                   dashboards=str(s.dashboards), exports=str(s.exports))

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(Path(self.database)) as con:
            yield con


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": Warehouse.from_settings()})
