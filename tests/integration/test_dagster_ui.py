"""The acceptance test of issue 10: the Dagster webserver and daemon on localhost run a new
quarter by themselves (tests/integration/dagster_ui.py has the scenario).

It starts from the warehouse of `partial_run` (tests/integration/conftest.py): the population,
admissions (one quarter blocked) and the source whose new quarter arrives (chlamydia testing),
enough to show that only what reads that source refreshes. That run is shared with two other
files, scheduled on the same test worker; the end-to-end module runs on the other one meanwhile.
"""

from __future__ import annotations

import pytest

from tests.integration.dagster_ui import NEW_PARTITION, NEW_WINDOW_END, SOURCE, downstream_of, run_ui_scenario
from tests.integration.pipeline_run import PARTIAL_SOURCES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def loaded(partial_run):
    assert SOURCE in PARTIAL_SOURCES
    assert all(r.success for r in partial_run["runs"])
    return partial_run


@pytest.mark.browser
def test_the_ui_daemon_and_sensor_run_a_new_quarter_by_themselves(loaded, tmp_path):
    """The acceptance test of issue 10: webserver and daemon on localhost, a new quarter of one
    source dropped into the landing folder, the sensor and the automation doing the rest."""
    settings = loaded["settings"]
    seen = run_ui_scenario(settings.warehouse, settings.landing, tmp_path)
    listed = seen["listed"]
    assert "measure_ash_0_4" in listed["assets"] and "marts_equity" in listed["assets"]
    assert "measure_ash_0_4:value_within_interval" in listed["checks"]
    assert listed["sensors"]["landing_folder"] == "RUNNING" and "quarterly_refresh" in listed["schedules"]
    runs = seen["runs"]
    ingest = [r for r in runs if r["tags"].get("dagster/sensor_name") == "landing_folder"]
    assert [(r["jobName"], r["assets"], r["tags"]["dagster/asset_partition_range_start"],
             r["tags"]["dagster/asset_partition_range_end"]) for r in ingest] == [
        ("ingest_quarterly", [f"raw_{SOURCE}"], NEW_PARTITION, NEW_PARTITION)]
    assert seen["partitions"] == [NEW_PARTITION]              # exactly that quarter's partition
    refreshed = sorted({a for r in runs if r not in ingest for a in r["assets"]})
    # exactly what reads that source, but the board papers: they wait for 06:00 NZ time
    assert "alt_board_papers" in downstream_of(SOURCE)
    assert refreshed == [a for a in downstream_of(SOURCE) if a != "alt_board_papers"]
    latest = seen["latest_window"]
    assert latest["youth_chlamydia_testing"] == NEW_WINDOW_END    # its new window, computed
    assert "ash_0_4" in latest                                       # admissions' measures, not moved:
    assert {m for m, end in latest.items() if end == NEW_WINDOW_END} == {"youth_chlamydia_testing"}
    assert seen["screenshot"].stat().st_size > 20_000        # the asset graph page, rendered
