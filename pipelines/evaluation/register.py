"""The initiatives register: read as text, typed and checked by its own data contract.

data_contracts/registers/initiatives.odcs.yaml says what a valid register is; this applies it
with the same typing and row rules the landing sources use (pipelines.sources.contract_types,
pipelines.contracts.sql). A register is small and kept by hand, so any broken rule stops the
evaluation with every problem listed by file, row and column, rather than quarantining rows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipelines.config import CONTRACTS_DIR, PROJECT_ROOT
from pipelines.contracts import load_contract
from pipelines.contracts.hand_kept import check_hand_kept_file
from pipelines.sources.readers import ROW_NUMBER

REGISTER_CONTRACTS = CONTRACTS_DIR / "registers"
DEFAULT_REGISTER = PROJECT_ROOT / "initiatives" / "register.csv"
SHARED = ("initiative_name", "start_quarter", "end_quarter")  # one value per initiative


class RegisterError(ValueError):
    """The register breaks its contract; the message lists file, row, column and reason."""


@dataclass(frozen=True)
class Initiative:
    initiative_id: str
    name: str
    districts: tuple[str, ...]
    start_quarter: str
    end_quarter: str | None
    targets: tuple[tuple[str, str, float, str], ...]  # (measure_id, group_id, change %, direction)


def register_path() -> Path:
    """SLM_INITIATIVES, or the example register the repository ships."""
    return Path(os.environ.get("SLM_INITIATIVES", DEFAULT_REGISTER))


def load_register(path: Path | str, evaluable: set[str] | None = None) -> pl.DataFrame:
    """The typed register (one row per initiative × district × measure × group)."""
    path = Path(path)
    contract = load_contract("initiatives", REGISTER_CONTRACTS)
    checked = check_hand_kept_file(path, contract)
    if checked.missing_columns:
        raise RegisterError(f"{path.name}: missing required column(s) {', '.join(checked.missing_columns)}")
    typed = checked.typed
    lines = [f"{path.name} row {row}: {reason} ({rule})" for row, rule, reason in checked.problems]
    lines += _consistency_problems(path.name, typed, evaluable)
    if lines:
        raise RegisterError("the initiatives register breaks its contract:\n  " + "\n  ".join(lines))
    return typed


def _consistency_problems(name: str, typed: pl.DataFrame, evaluable: set[str] | None) -> list[str]:
    out = []
    for r in typed.iter_rows(named=True):
        row = r[ROW_NUMBER]
        change, direction = r["expected_change_pct"], r["expected_direction"]
        if change is not None and direction and (change < 0) != (direction == "decrease"):
            out.append(f"{name} row {row}: expected_change_pct {change:g} does not match "
                       f"expected_direction '{direction}'")
        if evaluable is not None and r["measure_id"] and r["measure_id"] not in evaluable:
            out.append(f"{name} row {row}: measure_id '{r['measure_id']}' cannot be evaluated "
                       f"(evaluable: {', '.join(sorted(evaluable))})")
    for column in SHARED:
        clash = typed.group_by("initiative_id").agg(pl.col(column).n_unique().alias("n"),
                                                    pl.col(ROW_NUMBER).min().alias("row"))
        for r in clash.filter(pl.col("n") > 1).sort("row").iter_rows(named=True):
            out.append(f"{name} row {r['row']}: initiative '{r['initiative_id']}' has more than "
                       f"one {column}; its rows must agree")
    return out


def initiatives(register: pl.DataFrame) -> list[Initiative]:
    out = []
    for (initiative_id,), rows in register.group_by("initiative_id", maintain_order=True):
        first = rows.row(0, named=True)
        targets = rows.select("measure_id", "group_id", "expected_change_pct",
                              "expected_direction").unique(maintain_order=True).rows()
        out.append(Initiative(
            initiative_id, first["initiative_name"],
            tuple(sorted(rows["district_code"].unique())), first["start_quarter"],
            first["end_quarter"], tuple(targets)))
    return out
