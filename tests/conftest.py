"""Shared fixtures: real DuckDB files in tmp_path, with the warehouse schema and reference data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines.reference import load_reference
from pipelines.synthetic import generate
from pipelines.warehouse import connect

# Pages render in one process in the suite: `make test` keeps both cores busy with two workers
# already, and a page worker costs ~3 s of imports. The parallel path is tested on its own
# (tests/dashboards/test_page_workers.py: the same bytes with two workers as with one).
os.environ.setdefault("SLM_PAGE_WORKERS", "1")


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture(scope="session")
def reference_warehouse(tmp_path_factory) -> Path:
    """A warehouse holding only the schema and the reference data, made once per test worker."""
    path = tmp_path_factory.mktemp("reference") / "warehouse.duckdb"
    with connect(path) as connection:
        load_reference(connection)
    return path


@pytest.fixture
def con(warehouse_path: Path, reference_warehouse: Path):
    """A fresh warehouse with the schema and the reference data: a copy of the one made once,
    which is what loading them again would write (0.2 s a test saved)."""
    shutil.copyfile(reference_warehouse, warehouse_path)
    with connect(warehouse_path) as connection:
        yield connection


# --- Landing files for the ingestion tests (tests/sources/) ------------------------------------
# One year of the small preset (population and admissions), generated once per module and copied
# for each test, which edits its copy by hand. Here rather than in tests/sources/conftest.py: a
# second bare `conftest` module there would shadow tests/dashboards/conftest.py, which its test
# modules import by that name.


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("landing")
    generate(preset="small", out_dir=root / "landing", truth_dir=root / "truth", years=1,
             end_quarter="2025Q4", seed=7, sources=["population", "nmds_events"])
    return root / "landing"


@pytest.fixture
def landing(generated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(generated, copy)
    return copy


# --- Spreading the suite over the workers ------------------------------------------------------
# `make test` runs `-n 2 --dist loadgroup`. With pytest 9.2 + xdist 3.8 the `xdist_group` marks
# are silently ignored (xdist renames `item._nodeid`, which pytest 9.2 no longer reads), so every
# worker built the expensive module fixtures (a whole pipeline run) again. Instead every test file
# is one unit of work, whatever --dist says: a module fixture is built once, on one worker. The
# files of RUN_TOGETHER share a session fixture (one pipeline run), so they are one unit between
# them. Files holding slow tests are handed out first, so the long runs overlap rather than end
# the suite on one busy worker.
RUN_TOGETHER = {
    f"tests/integration/{name}": "tests/integration: partial_run"
    for name in ("test_blocking.py", "test_missing_sources.py", "test_dagster_ui.py")
}


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") not in ("loadgroup", "loadfile"):
        return None
    from xdist.scheduler import LoadFileScheduling

    class FileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return RUN_TOGETHER.get(path, path)

    config.option.loadscopereorder = False  # keep the slow-first order set below
    return FileScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: files stay contiguous
