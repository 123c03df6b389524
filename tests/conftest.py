"""Shared fixtures: real DuckDB files in tmp_path, with the warehouse schema and reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.reference import load_reference
from pipelines.warehouse import connect


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def con(warehouse_path: Path):
    with connect(warehouse_path) as connection:
        load_reference(connection)
        yield connection
