"""Runs behave: one writer at a time, a second `slm run` exits at once with one clear line, and a
killed run is marked failed instead of staying 'started' forever."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import dagster as dg
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.defs.run_health import fail_abandoned_runs
from pipelines.defs.writer_lock import WarehouseBusy, current_writer, writer_lock

# A run that holds the Warehouse resource (and so the writer lock) until it is killed.
SLEEPING_RUN = textwrap.dedent("""
    import sys, time
    import dagster as dg
    from pipelines.defs.resources import Warehouse

    @dg.asset
    def sleeps(warehouse: Warehouse):
        print("started", flush=True)
        time.sleep(600)

    resource = Warehouse(database=sys.argv[1], landing=".", dashboards=".", exports=".")
    dg.materialize([sleeps], resources={"warehouse": resource}, instance=dg.DagsterInstance.get())
""")


@pytest.fixture
def killed_run(tmp_path, warehouse_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", SLEEPING_RUN, str(warehouse_path)], env=env,
                            stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == "started"
        holder = current_writer(warehouse_path)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        yield home, holder
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_killed_run_is_marked_failed_when_next_checked(killed_run, warehouse_path, monkeypatch):
    home, holder_while_alive = killed_run
    assert holder_while_alive["run_id"]                     # the live run held the writer lock …
    assert current_writer(warehouse_path) is None           # … and the OS released it on SIGKILL
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    instance = dg.DagsterInstance.get()
    (record,) = instance.get_run_records()
    assert record.dagster_run.status == dg.DagsterRunStatus.STARTED   # what the UI showed forever
    assert fail_abandoned_runs(instance, str(warehouse_path)) == []   # within the grace period: wait
    failed = fail_abandoned_runs(instance, str(warehouse_path), now=time.time() + 3600)
    assert failed == [holder_while_alive["run_id"]]
    assert instance.get_run_by_id(failed[0]).status == dg.DagsterRunStatus.FAILURE


def test_a_live_writer_is_never_marked_failed(warehouse_path):
    from pipelines.defs.resources import Warehouse

    instance = dg.DagsterInstance.ephemeral()

    @dg.asset
    def checks_itself(context: dg.AssetExecutionContext, warehouse: Warehouse):
        assert fail_abandoned_runs(context.instance, warehouse.database, now=time.time() + 3600) == []

    resource = Warehouse(database=str(warehouse_path), landing=".", dashboards=".", exports=".")
    assert dg.materialize([checks_itself], resources={"warehouse": resource}, instance=instance).success


def test_a_second_writer_is_refused_with_the_first_one_named(warehouse_path):
    with writer_lock(warehouse_path, {"run_id": "0123456789abcdef", "job": "ingest_quarterly"}):
        code = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            from pipelines.defs.writer_lock import WarehouseBusy, writer_lock
            try:
                with writer_lock({str(warehouse_path)!r}, {{"job": "second"}}):
                    print("acquired")
            except WarehouseBusy as busy:
                print(busy)
        """)], env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, text=True, timeout=120)
    assert "another run 01234567 (ingest_quarterly) is writing the warehouse" in code.stdout
    with writer_lock(warehouse_path, {"job": "after"}):        # free again once the first ends
        pass
    assert issubclass(WarehouseBusy, RuntimeError)


def test_slm_run_exits_at_once_with_one_line_while_another_run_writes(tmp_path, monkeypatch, capsys):
    from pipelines import cli

    monkeypatch.setenv("SLM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "PROJECT_ROOT", tmp_path)      # no instance files in the project
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    with writer_lock(warehouse, {"run_id": "fedcba9876543210", "job": "refresh_measures_and_dashboards"}):
        code = cli.main(["run"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == cli.BUSY == 75
    assert len(err) == 1 and err[0].startswith("slm run: not started: another run fedcba98")


def test_the_steps_of_a_run_share_one_connection_closed_when_the_run_ends(warehouse_path):
    """One DuckDB connection a run (no open and checkpoint per step); a step failing inside a
    transaction leaves nothing behind for the next step, as closing its own connection did."""
    import duckdb

    from pipelines.defs.resources import Warehouse

    seen = []

    @dg.asset
    def fails_half_way(warehouse: Warehouse):
        with warehouse.connect() as con:
            seen.append(con)
            con.execute("CREATE OR REPLACE TABLE main.written (step VARCHAR)")
            con.execute("BEGIN TRANSACTION")
            con.execute("INSERT INTO main.written VALUES ('fails_half_way')")
            raise RuntimeError("planted failure")

    @dg.asset(deps=[fails_half_way])
    def never_runs(warehouse: Warehouse):
        pass

    @dg.asset
    def writes_after(warehouse: Warehouse):
        with warehouse.connect() as con:
            seen.append(con)
            con.execute("CREATE OR REPLACE TABLE main.after (n INTEGER)")
            con.execute("INSERT INTO main.after VALUES (1)")

    resource = Warehouse(database=str(warehouse_path), landing=".", dashboards=".", exports=".")
    result = dg.materialize([fails_half_way, never_runs, writes_after], resources={"warehouse": resource},
                            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    assert len(seen) == 2 and seen[0] is seen[1]
    # closed at the end of the run: a read-only connection (another configuration) may open it
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM main.written").fetchall() == [(0,)]
        assert con.sql("SELECT n FROM main.after").fetchall() == [(1,)]
