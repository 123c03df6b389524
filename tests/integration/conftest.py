"""One pipeline run shared by the integration tests that need only some sources.

Three stories read the same warehouse: a quarter that breaks an error rule (test_blocking.py), a
source that never had a file (test_missing_sources.py) and the Dagster UI and daemon running a new
quarter by themselves (test_dagster_ui.py). Each used to make its own run of the pipeline; one run
serves all three, and tests/conftest.py schedules the three files on one test worker
(RUN_TOGETHER), so it is made once.
"""

from __future__ import annotations

import pytest

from tests.integration.pipeline_run import BLOCKED, PARTIAL_SOURCES, pipeline_run


@pytest.fixture(scope="session")
def partial_run(tmp_path_factory):
    """PARTIAL_SOURCES (tests/integration/pipeline_run.py) with the admissions quarter BLOCKED
    broken, refreshed the daemon's way: the assets the automation sensor requests after the
    landing sensor's ingestion runs."""
    with pipeline_run(tmp_path_factory.mktemp("partial"), sources=PARTIAL_SOURCES,
                      defects=[f"missing_district@nmds_events@{BLOCKED}"], automation=True) as run:
        yield run
