"""The Dagster UI and daemon on a copy of a loaded warehouse: a new quarter dropped into the
landing folder is ingested by the sensor and refreshed by automation, with nobody clicking.

Used by tests/integration/test_end_to_end.py (on the e2e warehouse); runnable by hand too:
    python -m tests.integration.dagster_ui <warehouse.duckdb> <landing dir> <work dir>
"""

from __future__ import annotations

import json
import os
import shutil
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
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


def wait_for(what: str, probe, timeout: float, every: float = 3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = probe()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")


def new_quarter_file(landing: Path) -> Path:
    """The last quarter's file, relabelled as the next quarter (same shape, new content hash)."""
    last = sorted((landing / SOURCE).glob(f"{SOURCE}_*.csv"))[-1]
    label = last.stem.rsplit("_", 1)[1]
    target = landing / SOURCE / f"{SOURCE}_{NEW_QUARTER}.csv"
    target.write_text(last.read_text(encoding="utf-8").replace(f"\n{label},", f"\n{NEW_QUARTER},"),
                      encoding="utf-8")
    return target


def run_ui_scenario(warehouse: Path, landing: Path, work: Path, timeout: float = 900) -> dict:
    """Copy the warehouse and landing folder into `work`, start the webserver and daemon there, drop
    a new quarter and wait until its ingestion and refresh runs end. Returns what was seen."""
    data = work / "data"
    shutil.copytree(landing, data / "landing")
    shutil.copy(warehouse, data / "warehouse.duckdb")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")  # relative paths: cwd = home
    env = {**os.environ, "DAGSTER_HOME": str(home), "SLM_DATA_DIR": str(data),
           "SLM_DASHBOARDS": str(work / "dashboards"), "SLM_SENSOR_INTERVAL_SECONDS": "5",
           "PYTHONPATH": str(PROJECT_ROOT),
           # A busy 2-core machine can take longer than gRPC's default 60 s to start a run.
           "DAGSTER_GRPC_TIMEOUT_SECONDS": "600"}
    for name in ("SLM_WAREHOUSE", "SLM_LANDING", "SLM_EXPORTS"):
        env.pop(name, None)
    port = free_port()
    logs = {name: open(work / f"{name}.log", "w") for name in ("webserver", "daemon")}  # noqa: SIM115
    processes = [
        subprocess.Popen([str(VENV_BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
                          "-m", "pipelines.definitions"], cwd=home, env=env,
                         stdout=logs["webserver"], stderr=subprocess.STDOUT),
        subprocess.Popen([str(VENV_BIN / "dagster-daemon"), "run", "-m", "pipelines.definitions"],
                         cwd=home, env=env, stdout=logs["daemon"], stderr=subprocess.STDOUT),
    ]
    try:
        listed = wait_for("the webserver", lambda: _listing(port), timeout)
        new_quarter_file(data / "landing")
        runs = wait_for("the sensor's ingestion run and the automation's refresh run",
                        lambda: _finished_runs(port), timeout)
        partitions = graphql(port, PARTITIONS_QUERY, {"path": [f"raw_{SOURCE}"]})
        screenshot = work / "asset_graph.png"
        subprocess.run(["/usr/bin/chromium", *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium'}",
                        "--window-size=1600,1000", "--virtual-time-budget=20000",
                        f"--screenshot={screenshot}", f"http://127.0.0.1:{port}/asset-groups"],
                       check=True, timeout=300, capture_output=True)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        latest = dict(con.sql("SELECT measure_id, max(period_end)::VARCHAR FROM marts.measures "
                              "GROUP BY 1").fetchall())
    return {"listed": listed, "runs": runs, "screenshot": screenshot, "latest_window": latest,
            "partitions": sorted(m["partition"] for m in
                                 partitions["assetNodeOrError"]["assetMaterializations"])}


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


def _finished_runs(port: int) -> list[dict] | None:
    runs = graphql(port, RUNS_QUERY)["runsOrError"]["results"]
    for run in runs:
        run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
        run["assets"] = sorted("/".join(a["path"]) for a in run["assetSelection"] or [])
    failed = [r for r in runs if r["status"] in ("FAILURE", "CANCELED")]
    if failed:
        raise AssertionError(f"runs failed: {[(r['runId'], r['jobName'], r['assets']) for r in failed]}")
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
