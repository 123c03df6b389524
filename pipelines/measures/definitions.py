"""Measure definitions from measures.yaml: the one place an analyst reads and changes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipelines.config import MEASURES_FILE, SQL_DIR

# Keys that describe a measure rather than parameterise its SQL.
DESCRIPTIVE_KEYS = {"name", "unit", "source", "direction", "also_publish", "definition_version", "sql"}


@dataclass(frozen=True)
class Measure:
    measure_id: str
    settings: dict[str, Any]

    @property
    def name(self) -> str:
        return self.settings["name"]

    @property
    def definition_version(self) -> str:
        return self.settings["definition_version"]

    @property
    def statistic(self) -> str:
        return self.settings["statistic"]

    @property
    def multiplier(self) -> float:
        return float(self.settings.get("multiplier", 1))

    @property
    def unit(self) -> str:
        return self.settings.get("unit", "")

    @property
    def direction(self) -> str:
        return self.settings.get("direction", "lower_is_better")

    @property
    def sql_file(self) -> Path:
        """sql/measures/<id>.sql, or the file named by the measure's `sql` setting."""
        return Path(self.settings["sql"]) if "sql" in self.settings else SQL_DIR / "measures" / f"{self.measure_id}.sql"

    @property
    def definition_status(self) -> str:
        return self.settings.get("definition_status", "complete")

    def sql_variables(self) -> dict[str, Any]:
        return {k: v for k, v in self.settings.items() if k not in DESCRIPTIVE_KEYS}


@dataclass(frozen=True)
class MeasureConfig:
    defaults: dict[str, Any]
    suppression: dict[str, Any]
    measures: dict[str, Measure]
    series_breaks: dict[str, Any] = field(default_factory=dict)

    def measure(self, measure_id: str) -> Measure:
        try:
            return self.measures[measure_id]
        except KeyError:
            raise KeyError(f"{measure_id!r} is not defined in {MEASURES_FILE.name}") from None


def load_config(path: Path = MEASURES_FILE) -> MeasureConfig:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    defaults = raw.get("defaults", {})
    return MeasureConfig(
        defaults=defaults,
        suppression=raw.get("suppression", {}),
        measures={mid: Measure(mid, _everywhere(body, defaults)) for mid, body in raw["measures"].items()},
        series_breaks=raw.get("series_breaks") or {},
    )


def _everywhere(settings: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """defaults.exclude_ssed_everywhere: true sets exclude_ssed on every measure that has the
    choice (the consistent series across the Canterbury December 2020 break)."""
    if defaults.get("exclude_ssed_everywhere") and "exclude_ssed" in settings:
        return {**settings, "exclude_ssed": True}
    return settings


@cache
def default_config() -> MeasureConfig:
    return load_config()
