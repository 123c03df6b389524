"""Where things live. Every path can be overridden by an environment variable (see .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = PROJECT_ROOT / "reference"
SQL_DIR = PROJECT_ROOT / "sql"
CONTRACTS_DIR = PROJECT_ROOT / "data_contracts"
MEASURES_FILE = PROJECT_ROOT / "measures.yaml"


def load_yaml(text: str) -> Any:
    """yaml.safe_load's result through libyaml's C parser: the same safe constructors, about 8x
    faster (0.9 s -> 0.12 s for the contracts and measures.yaml, read by every process)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@dataclass(frozen=True)
class Settings:
    warehouse: Path
    landing: Path
    truth: Path
    dashboards: Path
    exports: Path

    @classmethod
    def from_env(cls) -> Settings:
        data = Path(os.environ.get("SLM_DATA_DIR", PROJECT_ROOT / "data"))
        return cls(
            warehouse=Path(os.environ.get("SLM_WAREHOUSE", data / "warehouse.duckdb")),
            landing=Path(os.environ.get("SLM_LANDING", data / "landing")),
            truth=Path(os.environ.get("SLM_TRUTH", data / "truth")),
            dashboards=Path(os.environ.get("SLM_DASHBOARDS", PROJECT_ROOT / "dashboards" / "output")),
            exports=Path(os.environ.get("SLM_EXPORTS", data / "exports")),
        )
