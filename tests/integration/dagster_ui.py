"""The Dagster UI and daemon on a copy of a loaded warehouse: a new quarter dropped into the
landing folder is ingested by the sensor and refreshed by automation, with nobody clicking.

Used by tests/integration/test_dagster_ui.py (on the shared partial run); runnable by hand too:
    python -m tests.integration.dagster_ui <warehouse.duckdb> <landing dir> <work dir>
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.config import PROJECT_ROOT

VENV_BIN = Path(sys.executable).parent
NEW_QUARTER, NEW_PARTITION, NEW_WINDOW_END = "2026Q1", "2026-01-01", "2026-03-31"
SOURCE = "esr_chlamydia"  # the new quarter arrives for this source only
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]

LIST_QUERY = """{
  repositoriesOrError { ... on RepositoryConnection { nodes {
      sensors { name sensorState { status } }
      schedules { name scheduleState { status } } } } }
  assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name } } } }
}"""
RUNS_QUERY = """{ runsOrError { ... on Runs { results {
    runId jobName status assetSelection { path } tags { key value } } } } }"""
PARTITIONS_QUERY = """query ($path: [String!]!) { assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode { assetMaterializations { partition } } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body,
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


class ScenarioTimeout(AssertionError):
    """A step of the scenario did not happen in time; the message says what was seen."""


def wait_for(what: str, probe, timeout: float, seen=lambda: "", every: float = 2.0):
    """Poll `probe` until it returns something truthy; on timeout, fail saying what `seen` reports."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            value = probe()
        except OSError:  # the webserver is not answering yet
            value = None
        if value:
            return value
        time.sleep(every)
    raise ScenarioTimeout(f"gave up waiting for {what} after {timeout:.0f} s; {seen()}")


def new_quarter_file(landing: Path) -> Path:
    """The last quarter's file, relabelled as the next quarter (same shape, new content hash)."""
    last = sorted((landing / SOURCE).glob(f"{SOURCE}_*.csv"))[-1]
    label = last.stem.rsplit("_", 1)[1]
    target = landing / SOURCE / f"{SOURCE}_{NEW_QUARTER}.csv"
    target.write_text(last.read_text(encoding="utf-8").replace(f"\n{label},", f"\n{NEW_QUARTER},"),
                      encoding="utf-8")
    return target


# Bounded waits, generous for a 2-core machine running the rest of the test suite beside this.
TIMEOUTS = {"webserver": 600.0, "ingestion run": 600.0, "refresh run": 900.0}
LOCATION = "pipelines.definitions"


def run_ui_scenario(warehouse: Path, landing: Path, work: Path, timeouts: dict | None = None) -> dict:
    """Copy the warehouse and landing folder into `work`, start a code server, the webserver and
    the daemon there, drop a new quarter and wait until its ingestion and refresh runs end.
    Returns what was seen.

    One code server serves both the webserver and the daemon (workspace.yaml names it), instead of
    each starting its own and the daemon replacing its own every minute: every code server and run
    worker loads the whole code location, which is what kept runs from starting on a busy machine.
    Every process starts in its own session and its whole group is killed at the end (the run
    workers are the code server's children)."""
    timeouts = {**TIMEOUTS, **(timeouts or {})}
    data = work / "data"
    shutil.copytree(landing, data / "landing")
    shutil.copy(warehouse, data / "warehouse.duckdb")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")  # relative paths: cwd = home
    grpc_port, port = free_port(), free_port()
    (home / "workspace.yaml").write_text(
        f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {grpc_port}\n"
        f"      location_name: {LOCATION}\n", encoding="utf-8")
    env = {**os.environ, "DAGSTER_HOME": str(home), "SLM_DATA_DIR": str(data),
           "SLM_DASHBOARDS": str(work / "dashboards"), "SLM_SENSOR_INTERVAL_SECONDS": "5",
           "SLM_BOARD_PAPERS_CRON": "0 6 29 2 *",  # papers' tick off the test's run (it crossed 06:00 NZ once)
           "PYTHONPATH": str(PROJECT_ROOT),
           # A busy 2-core machine can take longer than gRPC's default 60 s to start a run.
           "DAGSTER_GRPC_TIMEOUT_SECONDS": "600"}
    for name in ("SLM_WAREHOUSE", "SLM_LANDING", "SLM_EXPORTS"):
        env.pop(name, None)
    commands = {
        "code_server": [str(VENV_BIN / "dagster"), "api", "grpc", "-h", "127.0.0.1", "-p", str(grpc_port),
                        "-m", LOCATION, "--location-name", LOCATION],
        "webserver": [str(VENV_BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
                      "-w", "workspace.yaml"],
        "daemon": [str(VENV_BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
    }
    logs = {name: open(work / f"{name}.log", "w") for name in commands}  # noqa: SIM115
    processes = {}
    runs: list[dict] = []

    def what_was_seen() -> str:
        exited = {n: p.returncode for n, p in processes.items() if p.poll() is not None}
        listed = [(r["runId"][:8], r["jobName"], r["status"], r["assets"]) for r in runs]
        return (f"runs in the GraphQL run list: {listed or 'none'}; processes exited: {exited or 'none'}; "
                f"logs in {work}")

    def poll_runs() -> list[dict]:
        runs[:] = _runs(port)
        failed = [r for r in runs if r["status"] in ("FAILURE", "CANCELED")]
        if failed:
            raise AssertionError(f"a run failed; {what_was_seen()}")
        return runs

    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(command, cwd=home, env=env, stdout=logs[name],
                                               stderr=subprocess.STDOUT, start_new_session=True)
            if name == "code_server":  # serving once the code location is loaded; then the others
                wait_for("the code server to load the code location", lambda: _accepts(grpc_port),
                         timeouts["webserver"], what_was_seen)
        listed = wait_for("the webserver to list the code location", lambda: _listing(port),
                          timeouts["webserver"], what_was_seen)
        new_quarter_file(data / "landing")
        wait_for("the landing sensor's ingestion run to succeed",
                 lambda: [r for r in poll_runs() if r["jobName"].startswith("ingest_")
                          and r["status"] == "SUCCESS"], timeouts["ingestion run"], what_was_seen)
        wait_for("the automation's refresh run to succeed, and no run left queued or running",
                 lambda: _refreshed(poll_runs()), timeouts["refresh run"], what_was_seen)
        partitions = graphql(port, PARTITIONS_QUERY, {"path": [f"raw_{SOURCE}"]})
        screenshot = work / "asset_graph.png"
        subprocess.run(["/usr/bin/chromium", *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium'}",
                        "--window-size=1600,1000", "--virtual-time-budget=20000",
                        f"--screenshot={screenshot}", f"http://127.0.0.1:{port}/asset-groups"],
                       check=True, timeout=300, capture_output=True, start_new_session=True)
    finally:
        _stop(processes.values())
        for log in logs.values():
            log.close()
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        latest = dict(con.sql("SELECT measure_id, max(period_end)::VARCHAR FROM marts.measures "
                              "GROUP BY 1").fetchall())
    return {"listed": listed, "runs": list(runs), "screenshot": screenshot, "latest_window": latest,
            "partitions": sorted(m["partition"] for m in
                                 partitions["assetNodeOrError"]["assetMaterializations"])}


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(processes) -> None:
    """SIGTERM each process group, then SIGKILL what is left of it after a grace period."""
    groups = [p.pid for p in processes]  # start_new_session: pid == process group id
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + 30
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    for process in processes:
        process.wait()


def _listing(port: int) -> dict | None:
    data = graphql(port, LIST_QUERY)
    nodes = data["repositoriesOrError"].get("nodes") or []
    if not nodes:
        return None
    return {
        "assets": sorted("/".join(a["assetKey"]["path"]) for a in data["assetNodes"]),
        "checks": sorted(f"{'/'.join(a['assetKey']['path'])}:{c['name']}" for a in data["assetNodes"]
                         for c in (a["assetChecksOrError"].get("checks") or [])),
        "sensors": {s["name"]: s["sensorState"]["status"] for n in nodes for s in n["sensors"]},
        "schedules": {s["name"]: s["scheduleState"]["status"] for n in nodes for s in n["schedules"]},
    }


def _runs(port: int) -> list[dict]:
    runs = graphql(port, RUNS_QUERY)["runsOrError"]["results"]
    for run in runs:
        run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
        run["assets"] = sorted("/".join(a["path"]) for a in run["assetSelection"] or [])
    return runs


def _refreshed(runs: list[dict]) -> list[dict] | None:
    refresh = [r for r in runs if f"stg_{SOURCE}" in r["assets"]]
    if refresh and all(r["status"] == "SUCCESS" for r in runs):
        return runs
    return None


def downstream_of(source: str) -> list[str]:
    from pipelines.definitions import defs
    from pipelines.defs.jobs import RAW

    graph = defs().resolve_asset_graph()
    selection = dg.AssetSelection.assets(f"raw_{source}").downstream() - RAW
    return sorted(k.to_user_string() for k in selection.resolve(graph))


if __name__ == "__main__":
    seen = run_ui_scenario(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
    print(json.dumps({k: v for k, v in seen.items() if k != "screenshot"}, indent=1, default=str)[:6000])
    print("screenshot", seen["screenshot"], seen["screenshot"].stat().st_size, "bytes")
