"""Data contracts: data_contracts/<source_id>.odcs.yaml, compiled to SQL and Great Expectations.

    contract = load_contract("nmds_events")
    con.sql(row_violations_sql(contract))           # rows to quarantine, with reasons
    result = validate_batch(con, contract, "batch")  # per-rule results, .blocking, .summary

Importing this package does not import Great Expectations (~5 s); validate_batch and
compile_suite import it on first use. docs/data-contracts.md explains the design.
"""

from pipelines.contracts.gx_suite import compile_suite
from pipelines.contracts.loader import contract_ids, load_contract
from pipelines.contracts.model import Column, Contract, ContractError, Rule
from pipelines.contracts.sql import row_violations_sql
from pipelines.contracts.validate import (
    CleanRows,
    RuleResult,
    ValidationResult,
    clean_row_rules,
    validate_batch,
    validate_groups,
)

__all__ = [
    "CleanRows",
    "Column",
    "Contract",
    "ContractError",
    "Rule",
    "RuleResult",
    "ValidationResult",
    "clean_row_rules",
    "compile_suite",
    "contract_ids",
    "load_contract",
    "row_violations_sql",
    "validate_batch",
    "validate_groups",
]
