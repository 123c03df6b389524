"""What a loaded contract looks like to the rest of the pipeline (plain, immutable objects).

The ODCS YAML is parsed once (loader.py) into these; the SQL and GX compilers read only these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEVERITIES = ("error", "warning")
ROW, DATASET = "row", "dataset"

# Rule kinds the compilers understand (docs/data-contracts.md has the ODCS shape of each).
ROW_KINDS = ("not_null", "in_set", "regex", "unique", "compound_unique", "between", "pair_greater")
DATASET_KINDS = ("values_present", "volume")


class ContractError(ValueError):
    """A contract file that cannot be used: say which file and which rule."""


@dataclass(frozen=True)
class Column:
    name: str
    physical_type: str  # the DuckDB type the column is read as
    logical_type: str
    required: bool
    unique: bool
    primary_key: bool
    restricted: bool  # classification: restricted (NHI, date of birth): never shown anywhere
    description: str = ""
    # Measures that read this column (customProperties readBy; 'all' = every measure of the
    # source): a file without it withholds them for its periods (pipelines/sources/header.py).
    read_by: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Rule:
    id: str  # <source_id>.<local id>: what results, quarantine and reports carry
    local_id: str  # the ODCS quality `id` (ODCS ids may not contain dots)
    severity: str  # error (blocks the period) | warning (flags it)
    dimension: str
    description: str
    remediation: str
    level: str  # row | dataset
    kind: str
    columns: tuple[str, ...]  # source columns the rule reads
    params: Mapping[str, Any] = field(default_factory=dict)
    # GX `mostly`: share of evaluated rows that must conform; None = every row (mustBe: 0)
    mostly: float | None = None

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)


@dataclass(frozen=True, eq=False)
class Contract:
    source_id: str
    name: str
    version: str
    status: str
    columns: tuple[Column, ...]
    period_column: str
    period_kind: str  # quarter | half_year | year
    district_column: str
    many_periods_per_file: bool  # a Ministry release recalculates many periods at once
    rules: tuple[Rule, ...]
    path: Path
    fingerprint: str  # sha256 of the YAML text: compiled suites are cached on it

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.source_id}: no column {name!r}")

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if rule_id in (r.id, r.local_id):
                return r
        raise KeyError(f"{self.source_id}: no rule {rule_id!r}")

    @property
    def row_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.level == ROW)

    @property
    def dataset_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.level == DATASET)

    @property
    def restricted_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.restricted)
