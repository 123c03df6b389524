"""The corpus of broken extracts: clean small extracts generated once per session, damaged by
tests/sources/corpus/damage.py, ingested into real DuckDB files with a fixed "as of" date."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from pipelines.synthetic import generate

AS_OF = date(2026, 3, 1)  # the last quarter that has ended is 2025Q4, the last year 2025
SOURCES = ["population", "nmds_events"]  # other formats are built from these (damage.py)


@pytest.fixture(scope="session")
def clean_extracts(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus_clean")
    generate(preset="small", out_dir=root / "landing", truth_dir=root / "truth", years=2,
             end_quarter="2025Q4", seed=11, sources=SOURCES)
    return root / "landing"


def copy_files(clean: Path, landing: Path, source_id: str, names: list[str]) -> None:
    (landing / source_id).mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(clean / source_id / name, landing / source_id / name)
