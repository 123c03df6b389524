"""Landing files for the ingestion tests: one year of the small preset (population and
admissions), generated once per module and copied for each test, which edits its copy by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines.synthetic import generate


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
