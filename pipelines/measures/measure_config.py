"""Measure definitions from measures.yaml: the one place an analyst reads and changes them.

A measure whose definition cannot run — its SQL file missing or not valid SQL, or a `statistic`
no module computes — is rejected here, when the definitions load, with the file and the valid
choices named. It gets no asset and no output; every other measure still publishes.
"""

from __future__ import annotations

import difflib
import logging
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pipelines.config import MEASURES_FILE, SQL_DIR, load_yaml

log = logging.getLogger(__name__)
STATISTICS_DIR = Path(__file__).resolve().parent / "cell_statistics"
INTERVALS = ("quasi_poisson",)          # measures.yaml `interval:`; absent = the statistic's own

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
    # measure id → why it was rejected when the definitions loaded (see definition_problem)
    rejected: dict[str, str] = field(default_factory=dict)
    series_breaks: dict[str, Any] = field(default_factory=dict)

    def measure(self, measure_id: str) -> Measure:
        try:
            return self.measures[measure_id]
        except KeyError:
            if measure_id in self.rejected:
                raise KeyError(self.rejected[measure_id]) from None
            raise KeyError(f"{measure_id!r} is not defined in {MEASURES_FILE.name}") from None


def load_config(path: Path = MEASURES_FILE) -> MeasureConfig:
    raw = load_yaml(Path(path).read_text(encoding="utf-8"))
    defaults = raw.get("defaults", {})
    candidates = {mid: Measure(mid, _everywhere(body, defaults)) for mid, body in raw["measures"].items()}
    # A measure listed in another's `also_publish` is computed by that measure's SQL file.
    for head in [m for m in candidates.values() if isinstance(m.settings, dict)]:
        for member in head.settings.get("also_publish", []):
            if isinstance(candidates.get(member) and candidates[member].settings, dict):
                candidates[member] = Measure(member, {"sql": str(head.sql_file), **candidates[member].settings})
    measures, rejected = {}, {}
    for mid, measure in candidates.items():
        problem = definition_problem(measure, Path(path))
        if problem is None:
            measures[mid] = measure
        else:
            rejected[mid] = problem
            log.error("%s", problem)
    return MeasureConfig(
        defaults=defaults,
        suppression=raw.get("suppression", {}),
        measures=measures,
        rejected=rejected,
        series_breaks=raw.get("series_breaks") or {},
    )


def _everywhere(settings: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """defaults.exclude_ssed_everywhere: true sets exclude_ssed on every measure that has the
    choice (the consistent series across the Canterbury December 2020 break)."""
    if defaults.get("exclude_ssed_everywhere") and isinstance(settings, dict) and "exclude_ssed" in settings:
        return {**settings, "exclude_ssed": True}
    return settings


@cache
def default_config() -> MeasureConfig:
    """measures.yaml of the project, or the file SLM_MEASURES_FILE names."""
    return load_config(Path(os.environ.get("SLM_MEASURES_FILE", MEASURES_FILE)))


def statistic_names() -> list[str]:
    """The statistics a measure can name: one module each in pipelines/measures/cell_statistics/."""
    return sorted(p.stem for p in STATISTICS_DIR.glob("*.py") if not p.stem.startswith("_"))


def definition_problem(measure: Measure, config_file: Path) -> str | None:
    """Why `measure` cannot run, naming the file to fix and the valid choices; None if it can.
    Only what can be known without data: the SQL parses, the statistic and interval exist."""
    where = f"{config_file.name} → measures.{measure.measure_id}"
    if not isinstance(measure.settings, dict):
        return f"{where}: rejected, a measure is a mapping of settings, got {measure.settings!r}"
    missing = [k for k in ("name", "definition_version", "statistic") if k not in measure.settings]
    if missing:
        return f"{where}: rejected, missing required setting(s) {', '.join(missing)}"
    choices = statistic_names()
    if measure.statistic not in choices:
        return (f"{where}: rejected, statistic {measure.statistic!r} is not one of "
                f"{', '.join(choices)}{_did_you_mean(measure.statistic, choices)}")
    interval = measure.settings.get("interval")
    if interval is not None and interval not in INTERVALS:
        return (f"{where}: rejected, interval {interval!r} is not one of {', '.join(INTERVALS)} "
                f"(or leave it out for the statistic's own limits)")
    sql_file = measure.sql_file
    if not sql_file.is_file():
        present = sorted(p.name for p in (SQL_DIR / "measures").glob("*.sql") if not p.name.startswith("_"))
        return (f"{where}: rejected, SQL file {sql_file} not found; add it, or point the measure's "
                f"`sql:` setting at it (files in {SQL_DIR / 'measures'}: {', '.join(present)})")
    try:
        with duckdb.connect() as con:
            con.extract_statements(sql_file.read_text(encoding="utf-8"))
    except (duckdb.Error, UnicodeDecodeError) as exc:
        return f"{where}: rejected, {sql_file} is not valid SQL: {_one_line(exc)}"
    return None


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(str(word), choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
