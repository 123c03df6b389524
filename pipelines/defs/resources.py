"""The warehouse resource: one DuckDB file, the landing folder it is fed from, where outputs go.

Configured with dg.EnvVar, so the UI shows which variable sets each path and the value is read
when a run starts (SLM_WAREHOUSE, SLM_LANDING, SLM_DASHBOARDS, SLM_EXPORTS; see .env.example).
A variable that is not set falls back to the project's default path (pipelines.config).

A run holds the warehouse's writer lock for its whole life (pipelines/defs/writer_lock.py), so two
runs never write at once, whether launched from the UI or by `slm run`. It holds one DuckDB
connection for its whole life too: the steps of a run share it, instead of each opening the file
and checkpointing it on close (a national quarter's refresh has about 35 steps).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipelines import warehouse
from pipelines.config import Settings
from pipelines.defs.writer_lock import writer_lock

# How long a run waits for another writer before failing (the run queue normally prevents it).
LOCK_WAIT_SECONDS = 600.0


class Warehouse(dg.ConfigurableResource):
    database: str
    landing: str
    dashboards: str
    exports: str

    _locks: Any = PrivateAttr(default=None)
    _con: Any = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Warehouse:
        s = settings or Settings.from_env()
        return cls(database=str(s.warehouse), landing=str(s.landing),
                   dashboards=str(s.dashboards), exports=str(s.exports))

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.dagster_run
        if run is None:  # a sensor reading the landing folder writes nothing
            return
        self._locks = ExitStack()
        self._locks.enter_context(writer_lock(
            self.database, {"run_id": run.run_id, "job": run.job_name}, LOCK_WAIT_SECONDS))
        # Closed (and checkpointed) at teardown, before the lock is released.
        self._con = self._locks.enter_context(warehouse.connect(Path(self.database)))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._locks is not None:
            self._con = None
            self._locks.close()
            self._locks = None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection (a sensor, which has no run, gets one of its own). A step that
        fails inside a transaction leaves it rolled back, as closing a connection would."""
        if self._con is None:
            with warehouse.connect(Path(self.database)) as con:
                yield con
            return
        try:
            yield self._con
        except BaseException:
            warehouse.rollback_open_transaction(self._con)
            raise


ENV_VARS = {"database": "SLM_WAREHOUSE", "landing": "SLM_LANDING", "dashboards": "SLM_DASHBOARDS",
            "exports": "SLM_EXPORTS"}


def configured_warehouse() -> Warehouse:
    defaults = Warehouse.from_settings()
    return Warehouse(**{field: dg.EnvVar(var) if var in os.environ else getattr(defaults, field)
                        for field, var in ENV_VARS.items()})


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"warehouse": configured_warehouse()})
