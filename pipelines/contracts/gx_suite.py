"""Contracts compiled to Great Expectations suites, by code: the contract stays the one source.

Two suites per contract, both carrying rule_id / severity / dimension in every expectation's meta:
- the *semantic* suite (`compile_suite`): the row rules as native GX expectations on the typed
  columns (in set, regex, between, pair, unique …). GX evaluates them on a pandas frame.
- the *flag* suite (`compile_flag_suite`): for batches too large for that, DuckDB evaluates each
  rule's predicate (sql.py) into a 0/1 column and GX checks each column is all 0 (with the
  rule's `mostly`). Same verdicts, a fraction of the time (docs/data-contracts.md, measurements).

The specs are plain dicts (no GX import), so they can be inspected and snapshotted cheaply;
GX itself is imported only when a suite object is built (the import takes ~5 s).
"""

from __future__ import annotations

from typing import Any

from pipelines.contracts.model import Contract, Rule
from pipelines.contracts.sql import flag_column

_SUITES: dict[tuple[str, str], Any] = {}
_GX_SEVERITY = {"error": "critical", "warning": "warning"}  # GX 1.x FailureSeverity


def _meta(contract: Contract, rule: Rule) -> dict[str, Any]:
    return {"rule_id": rule.id, "severity": rule.severity, "dimension": rule.dimension,
            "contract": f"{contract.source_id}@{contract.version}"}


def _kwargs(rule: Rule) -> tuple[str, dict[str, Any]]:
    k, cols = rule.kind, rule.columns
    if k == "not_null":
        return "expect_column_values_to_not_be_null", {"column": cols[0]}
    if k == "in_set":
        return "expect_column_values_to_be_in_set", {"column": cols[0], "value_set": list(rule.param("values"))}
    if k == "regex":
        return "expect_column_values_to_match_regex", {"column": cols[0], "regex": rule.param("pattern")}
    if k == "unique":
        return "expect_column_values_to_be_unique", {"column": cols[0]}
    if k == "compound_unique":
        # rows with a missing key part are left to the not-null rules (SQL does the same)
        return "expect_compound_columns_to_be_unique", {"column_list": list(cols),
                                                        "ignore_row_if": "any_value_is_missing"}
    if k == "between":
        kw: dict[str, Any] = {"column": rule.param("column")}
        for name in ("min_value", "max_value"):
            if rule.param(name) is not None:
                kw[name] = rule.param(name)
        for name in ("strict_min", "strict_max"):
            if rule.param(name):
                kw[name] = True
        return "expect_column_values_to_be_between", kw
    if k == "pair_greater":
        return "expect_column_pair_values_a_to_be_greater_than_b", {
            "column_A": rule.param("column_a"), "column_B": rule.param("column_b"),
            "or_equal": rule.param("or_equal"), "ignore_row_if": "either_value_is_missing"}
    raise ValueError(f"{rule.id}: {k!r} has no GX expectation")


def suite_spec(contract: Contract) -> dict[str, Any]:
    """The semantic suite as GX-1.x JSON ({name, expectations: [{type, kwargs, meta}]})."""
    expectations = []
    for rule in contract.row_rules:
        etype, kwargs = _kwargs(rule)
        if rule.mostly is not None:
            kwargs["mostly"] = rule.mostly
        expectations.append({"type": etype, "kwargs": kwargs, "meta": _meta(contract, rule),
                             "severity": _GX_SEVERITY[rule.severity]})
    return {"name": f"{contract.source_id}@{contract.version}", "expectations": expectations,
            "meta": {"contract_fingerprint": contract.fingerprint}}


def flag_suite_spec(contract: Contract) -> dict[str, Any]:
    expectations = []
    for i, rule in enumerate(contract.row_rules):
        kwargs: dict[str, Any] = {"column": flag_column(i), "value_set": [0]}
        if rule.mostly is not None:
            kwargs["mostly"] = rule.mostly
        expectations.append({"type": "expect_column_values_to_be_in_set", "kwargs": kwargs,
                             "meta": _meta(contract, rule), "severity": _GX_SEVERITY[rule.severity]})
    return {"name": f"{contract.source_id}@{contract.version}#flags", "expectations": expectations,
            "meta": {"contract_fingerprint": contract.fingerprint}}


def _build(contract: Contract, variant: str, make_spec):
    key = (contract.fingerprint, variant)
    if key not in _SUITES:
        import great_expectations as gx  # lazy: ~5 s import

        _SUITES[key] = gx.ExpectationSuite(**make_spec(contract))
    return _SUITES[key]


def compile_suite(contract: Contract):
    """The contract's row rules as a GX ExpectationSuite (cached per contract text)."""
    return _build(contract, "semantic", suite_spec)


def compile_flag_suite(contract: Contract):
    return _build(contract, "flags", flag_suite_spec)
