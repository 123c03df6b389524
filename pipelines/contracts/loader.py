"""Read `data_contracts/<source_id>.odcs.yaml` into a Contract.

The file is validated against the ODCS pydantic model, then every quality rule is mapped to one
of a few rule kinds (model.ROW_KINDS / DATASET_KINDS). Anything the compilers would not
understand fails here, naming the file and the rule, rather than being skipped silently.
Loading never imports Great Expectations (Dagster loads every contract at start-up).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from open_data_contract_standard.model import DataQuality, OpenDataContractStandard

from pipelines.config import CONTRACTS_DIR, REFERENCE_DIR, load_yaml
from pipelines.contracts import codesets
from pipelines.contracts.model import (
    DATASET,
    ROW,
    SEVERITIES,
    Column,
    Contract,
    ContractError,
    Rule,
)

PERIOD_KINDS = ("quarter", "half_year", "year")
GX_ENGINE = "great-expectations"
DUCKDB_ENGINE = "duckdb"


def contract_path(source_id: str, contracts_dir: Path = CONTRACTS_DIR) -> Path:
    return Path(contracts_dir) / f"{source_id}.odcs.yaml"


def contract_ids(contracts_dir: Path = CONTRACTS_DIR) -> list[str]:
    return sorted(p.name.removesuffix(".odcs.yaml") for p in Path(contracts_dir).glob("*.odcs.yaml"))


def load_contract(
    source_id: str, contracts_dir: Path = CONTRACTS_DIR, reference_dir: Path = REFERENCE_DIR
) -> Contract:
    path = contract_path(source_id, contracts_dir)
    if not path.is_file():
        raise ContractError(f"no contract for source {source_id!r}: {path} does not exist")
    text = path.read_text(encoding="utf-8")
    return _parse(text, str(path), str(reference_dir))


@cache
def _parse(text: str, path: str, reference_dir: str) -> Contract:
    where = Path(path).name
    try:
        odcs = OpenDataContractStandard(**load_yaml(text))
    except Exception as exc:  # pydantic / YAML errors: keep the message, add the file
        raise ContractError(f"{where}: not a valid ODCS contract: {exc}") from exc
    source_id = odcs.id or ""
    if f"{source_id}.odcs.yaml" != where:
        raise ContractError(f"{where}: contract id {source_id!r} does not match the file name")
    if not odcs.schema_ or len(odcs.schema_) != 1:
        raise ContractError(f"{where}: expected exactly one schema object (the extract)")
    obj = odcs.schema_[0]
    columns = tuple(_column(where, p) for p in obj.properties or [])
    by_name = {c.name: c for c in columns}

    props = _custom(odcs.customProperties)
    period_column = props.get("periodColumn")
    period_kind = props.get("periodKind")
    district_column = props.get("districtColumn")
    if period_column not in by_name:
        raise ContractError(f"{where}: customProperties.periodColumn {period_column!r} is not a column")
    if period_kind not in PERIOD_KINDS:
        raise ContractError(f"{where}: customProperties.periodKind must be one of {PERIOD_KINDS}")
    if district_column not in by_name:
        raise ContractError(f"{where}: customProperties.districtColumn {district_column!r} is not a column")

    rules: list[Rule] = []
    for prop in obj.properties or []:
        for q in prop.quality or []:
            rules.append(_rule(where, source_id, q, by_name, by_name[prop.name], reference_dir))
    for q in obj.quality or []:
        rules.append(_rule(where, source_id, q, by_name, None, reference_dir))
    seen: set[str] = set()
    for r in rules:
        if r.local_id in seen:
            raise ContractError(f"{where}: rule id {r.local_id!r} is used twice")
        seen.add(r.local_id)

    return Contract(
        source_id=source_id,
        name=odcs.name or source_id,
        version=odcs.version or "",
        status=odcs.status or "",
        columns=columns,
        period_column=period_column,
        period_kind=period_kind,
        district_column=district_column,
        many_periods_per_file=bool(props.get("manyPeriodsPerFile", False)),
        rules=tuple(rules),
        path=Path(path),
        fingerprint=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _custom(props) -> dict[str, Any]:
    return {p.property: p.value for p in props or [] if p.property}


def _column(where: str, p) -> Column:
    if not p.name or not p.physicalType:
        raise ContractError(f"{where}: every property needs a name and a physicalType (DuckDB type)")
    return Column(
        name=p.name,
        physical_type=p.physicalType.upper(),
        logical_type=p.logicalType or "",
        required=bool(p.required),
        unique=bool(p.unique),
        primary_key=bool(p.primaryKey),
        restricted=(p.classification or "").lower() == "restricted",
        description=(p.description or "").strip(),
        read_by=_read_by(where, p),
    )


def _read_by(where: str, p) -> tuple[str, ...]:
    value = _custom(p.customProperties).get("readBy")
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise ContractError(f"{where}: {p.name}: customProperties.readBy must be 'all' or a list "
                            "of measure ids")
    return tuple(names)


def _rule(
    where: str,
    source_id: str,
    q: DataQuality,
    columns: dict[str, Column],
    column: Column | None,
    reference_dir: str,
) -> Rule:
    local_id = q.id or ""
    label = f"{where}: rule {local_id or '(no id)'}"
    remediation = _custom(q.customProperties).get("remediation")
    missing = [k for k, v in (("id", q.id), ("severity", q.severity), ("dimension", q.dimension),
                              ("description", q.description), ("remediation", remediation)) if not v]
    if missing:
        raise ContractError(f"{label}: missing {', '.join(missing)}")
    if q.severity not in SEVERITIES:
        raise ContractError(f"{label}: severity must be one of {SEVERITIES}")
    kind, level, cols, params, mostly = _shape(label, q, columns, column, Path(reference_dir))
    for c in cols:
        if c not in columns:
            raise ContractError(f"{label}: unknown column {c!r}")
    return Rule(
        id=f"{source_id}.{local_id}", local_id=local_id, severity=q.severity,
        dimension=q.dimension, description=" ".join(q.description.split()),
        remediation=" ".join(str(remediation).split()), level=level, kind=kind,
        columns=tuple(cols), params=params, mostly=mostly,
    )


def _shape(label, q: DataQuality, columns, column: Column | None, reference_dir: Path):
    """(kind, level, input columns, params, mostly) for one ODCS quality rule."""
    qtype = q.type or "library"
    args = q.arguments or {}
    if qtype == "library":
        metric = q.metric or q.rule
        if metric == "rowCount":
            if args.get("comparedTo") != "previousPeriod" or not q.mustBeBetween or q.unit != "percent":
                raise ContractError(f"{label}: rowCount needs arguments.comparedTo: previousPeriod, "
                                    "mustBeBetween [low, high] and unit: percent")
            lo, hi = q.mustBeBetween
            return "volume", DATASET, (), {"min_change_pct": lo, "max_change_pct": hi}, None
        mostly = _mostly(label, q)
        if metric == "duplicateValues" and column is None:
            keys = tuple(args.get("properties") or ())
            if len(keys) < 2:
                raise ContractError(f"{label}: duplicateValues on the object needs arguments.properties")
            return "compound_unique", ROW, keys, {}, mostly
        if column is None:
            raise ContractError(f"{label}: metric {metric!r} belongs on a property")
        if metric == "nullValues":
            return "not_null", ROW, (column.name,), {}, mostly
        if metric == "duplicateValues":
            return "unique", ROW, (column.name,), {}, mostly
        if metric == "invalidValues" and "validValuesFrom" in args:
            refs = args["validValuesFrom"]
            refs = [refs] if isinstance(refs, str) else list(refs)
            try:
                values = sorted({_typed(v, column) for ref in refs
                                 for v in codesets.resolve(ref, reference_dir)})
            except ValueError as exc:
                raise ContractError(f"{label}: {exc}") from exc
            return "in_set", ROW, (column.name,), {"values": tuple(values), "source": " ∪ ".join(refs)}, mostly
        if metric == "invalidValues" and "pattern" in args:
            return "regex", ROW, (column.name,), {"pattern": args["pattern"]}, mostly
        raise ContractError(f"{label}: unsupported library rule (metric {metric!r}, arguments {sorted(args)})")

    if qtype == "custom" and q.engine == GX_ENGINE:
        impl = q.implementation if isinstance(q.implementation, dict) else {}
        kwargs = dict(impl.get("kwargs") or {})
        expectation = impl.get("expectation")
        mostly = kwargs.pop("mostly", None)
        if expectation == "expect_column_values_to_be_between":
            return _between(label, impl, kwargs, columns, column) + (mostly,)
        if expectation == "expect_column_pair_values_a_to_be_greater_than_b":
            a, b = kwargs.get("column_A"), kwargs.get("column_B")
            params = {"column_a": a, "column_b": b, "or_equal": bool(kwargs.get("or_equal", False))}
            return "pair_greater", ROW, (a, b), params, mostly
        raise ContractError(f"{label}: unsupported Great Expectations rule {expectation!r}")

    if qtype == "custom" and q.engine == DUCKDB_ENGINE:
        impl = q.implementation if isinstance(q.implementation, dict) else {}
        if impl.get("check") == "all_values_present":
            col = impl.get("column")
            try:
                values = codesets.resolve(impl.get("valuesFrom", ""), reference_dir)
            except ValueError as exc:
                raise ContractError(f"{label}: {exc}") from exc
            if col not in columns:
                raise ContractError(f"{label}: unknown column {col!r}")
            return ("values_present", DATASET, (col,),
                    {"column": col, "values": tuple(_typed(v, columns[col]) for v in values),
                     "source": impl["valuesFrom"]}, None)
        raise ContractError(f"{label}: unsupported duckdb check {impl.get('check')!r}")

    raise ContractError(f"{label}: unsupported rule type {qtype!r} (engine {q.engine!r})")


def _between(label, impl, kwargs, columns, column: Column | None):
    derive = impl.get("derive")
    target = kwargs.get("column") or (column.name if column else None)
    params = {
        "column": target,
        "min_value": kwargs.get("min_value"),
        "max_value": kwargs.get("max_value"),
        "strict_min": bool(kwargs.get("strict_min", False)),
        "strict_max": bool(kwargs.get("strict_max", False)),
    }
    if params["min_value"] is None and params["max_value"] is None:
        raise ContractError(f"{label}: between needs min_value and/or max_value")
    if derive:
        # A value computed from other columns (DuckDB SQL), e.g. age at admission from the dates.
        if target in columns:
            raise ContractError(f"{label}: derived column {target!r} clashes with a source column")
        inputs = tuple(derive.get("inputs") or ())
        if not derive.get("sql") or not inputs:
            raise ContractError(f"{label}: derive needs sql and inputs")
        params |= {"derived_sql": " ".join(str(derive["sql"]).split()),
                   "derived_label": derive.get("label", target),
                   # a fixed sentence for derived flags, where "label 1 is above 0" reads badly
                   "derived_reason": derive.get("reason")}
        return "between", ROW, inputs, params
    if target not in columns:
        raise ContractError(f"{label}: unknown column {target!r}")
    return "between", ROW, (target,), params


def _mostly(label, q: DataQuality) -> float | None:
    """ODCS threshold → GX `mostly`: mustBe 0 is strict; mustBeLessOrEqualTo x with unit percent
    tolerates up to x % of evaluated rows (they are still quarantined, the period is not blocked)."""
    if q.mustBe == 0 and q.mustBeLessOrEqualTo is None:
        return None
    if q.mustBeLessOrEqualTo is not None and q.unit == "percent" and q.mustBe is None:
        return round(1 - float(q.mustBeLessOrEqualTo) / 100, 10)
    raise ContractError(f"{label}: use mustBe: 0, or mustBeLessOrEqualTo with unit: percent")


def _typed(value: str, column: Column) -> Any:
    base = column.physical_type.split("(")[0]
    if base in {"TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT"}:
        return int(value)
    if base in {"DOUBLE", "FLOAT", "REAL", "DECIMAL"}:
        return float(value)
    return str(value)
