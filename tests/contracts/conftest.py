"""Contracts test fixtures: every contract loaded once, an in-memory DuckDB for batches, and one
warm Great Expectations runtime for the session (its import alone takes ~5 s)."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.contracts import contract_ids, load_contract
from pipelines.contracts.model import Contract, Rule

CONTRACTS: dict[str, Contract] = {s: load_contract(s) for s in contract_ids()}
ALL_RULES: list[Rule] = [r for c in CONTRACTS.values() for r in c.rules]


def contract_of(rule: Rule) -> Contract:
    return CONTRACTS[rule.id.split(".", 1)[0]]


@pytest.fixture(scope="session")
def mem() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    yield con
    con.close()


@pytest.fixture(scope="session")
def gx_ready():
    """Import GX and build its runtime once; tests that validate depend on this."""
    from pipelines.contracts import validate

    validate._runtime()
    return validate
