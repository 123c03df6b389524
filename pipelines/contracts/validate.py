"""Validate one typed batch against its contract: GX for row rules, DuckDB for dataset rules.

Row rules run as a compiled Great Expectations suite on a pandas frame pulled from DuckDB:
- small batches (rows × row rules ≤ GX_CELL_BUDGET): the semantic suite on the typed columns
  (engine `great_expectations`);
- larger ones: DuckDB evaluates every rule's predicate into a 0/1 column in one scan and GX
  validates those columns (engine `duckdb+great_expectations`). Both produce the same verdicts
  and counts (tests/contracts/test_engines.py); the second keeps a national NMDS quarter at about
  one second (docs/data-contracts.md has the measurements).
Dataset rules (all districts present, volume against the previous period) are DuckDB queries.

Nothing from a restricted column leaves this module: GX runs with partial_unexpected_count 0,
only counts are read back, and errors are reported by exception type, not message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import duckdb

from pipelines.contracts import gx_suite
from pipelines.contracts.codesets import resolve
from pipelines.contracts.model import Contract, Rule
from pipelines.contracts.sql import flags_sql, gx_frame_sql, quote, rule_summary_sql

log = logging.getLogger(__name__)

ENGINE_GX = "great_expectations"
ENGINE_FLAGS = "duckdb+great_expectations"
ENGINE_DUCKDB = "duckdb"
# rows × row rules above which GX gets DuckDB's 0/1 flags instead of the typed columns:
# ~0.25 µs per cell in GX-pandas on this machine, so the budget keeps the semantic path ≤ ~1 s.
GX_CELL_BUDGET = 4_000_000
DISTRICTS_REF = "ref.districts.code3"
_RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


@dataclass(frozen=True)
class RuleResult:
    rule_id: str
    severity: str
    dimension: str
    description: str
    passed: bool
    unexpected_count: int | None
    rows_evaluated: int
    districts_affected: list[str]
    engine: str
    note: str = ""


@dataclass(frozen=True)
class ValidationResult:
    source_id: str
    contract_version: str
    period: str | None  # the batch's main period (most rows)
    rows: int
    engine: str  # engine used for the row rules
    rules: list[RuleResult]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (rule_id, why not evaluated)
    seconds: float = 0.0

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.passed]

    @property
    def blocking_rules(self) -> list[str]:
        return sorted(r.rule_id for r in self.failed if r.severity == "error")

    @property
    def blocking(self) -> bool:
        return bool(self.blocking_rules)

    @property
    def status(self) -> str:
        if self.blocking:
            return "blocked"
        return "warn" if self.failed else "pass"

    @property
    def summary(self) -> dict:
        return {
            "source_id": self.source_id, "contract_version": self.contract_version,
            "period": self.period, "rows": self.rows, "status": self.status,
            "rules_evaluated": len(self.rules), "rules_failed": len(self.failed),
            "blocking_rules": self.blocking_rules,
            "warning_rules": sorted(r.rule_id for r in self.failed if r.severity == "warning"),
            "skipped": [rule_id for rule_id, _ in self.skipped],
            "engine": self.engine, "seconds": round(self.seconds, 3),
        }

    def to_records(self) -> list[dict]:
        """Rows for meta.dq_rule_results (add source_id/period/checked_at as the writer likes)."""
        return [asdict(r) for r in self.rules]


def validate_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    relation: str = "batch",
    previous_counts: Mapping[str, int] | None = None,
    *,
    engine: str = "auto",
    clean_in: CleanRows | None = None,
) -> ValidationResult:
    """Run the contract on `relation` (typed contract columns + _row_number, _period).

    `previous_counts` maps a period to the row count of the period before it (volume rule).
    `engine`: auto | great_expectations | duckdb+great_expectations (row rules).
    `clean_in`: the row rules already passed, with nothing unexpected, on rows that include all
    of `relation`'s (clean_row_rules): they pass here too, without running GX again."""
    started = time.perf_counter()
    rows, period = _size_and_period(con, relation)
    row_rules = list(contract.row_rules)
    if clean_in is not None:
        engine = clean_in.engine
        results = [RuleResult(r.id, r.severity, r.dimension, r.description, True, 0, rows, [], engine,
                              clean_in.note) for r in row_rules]
    else:
        engine = _engine(engine, rows, row_rules)
        results = _row_results(con, contract, relation, row_rules, rows, engine, resolve(DISTRICTS_REF))
    dataset, skipped = dataset_results(con, contract, relation, previous_counts, rows, period)
    results += dataset
    result = ValidationResult(contract.source_id, contract.version, period, rows, engine,
                              results, skipped, time.perf_counter() - started)
    log.info("%s %s: %s, %d rows, %d/%d rules failed (%s, %.2f s)", contract.source_id, period,
             result.status, rows, len(result.failed), len(results), engine, result.seconds)
    return result


@dataclass(frozen=True)
class CleanRows:
    """Row rules that found nothing on a whole file: what its periods' results say instead."""
    engine: str
    note: str


def clean_row_rules(con: duckdb.DuckDBPyConnection, contract: Contract, relation: str,
                    what: str) -> CleanRows | None:
    """One GX run of the row rules on `relation` (e.g. a file restating many periods). When no
    rule found a single unexpected row, every subset of those rows passes with nothing
    unexpected (uniqueness too: no duplicate in the whole means none in a part), so the file's
    periods need no GX run of their own: a CleanRows for validate_batch. None otherwise, and each
    period is then validated on its own."""
    row_rules = list(contract.row_rules)
    if not row_rules:
        return None
    rows, _ = _size_and_period(con, relation)
    engine = _engine("auto", rows, row_rules)
    found = _row_results(con, contract, relation, row_rules, rows, engine, resolve(DISTRICTS_REF))
    if any(not r.passed or r.unexpected_count != 0 for r in found):
        return None
    return CleanRows(engine, f"checked once on {what} ({rows} rows): nothing unexpected")


def _engine(engine: str, rows: int, row_rules: list[Rule]) -> str:
    if engine == "auto":
        engine = ENGINE_GX if rows * len(row_rules) <= GX_CELL_BUDGET else ENGINE_FLAGS
    if engine not in (ENGINE_GX, ENGINE_FLAGS):
        raise ValueError(f"unknown engine {engine!r}")
    return engine


def _size_and_period(con, relation: str) -> tuple[int, str | None]:
    rows = con.sql(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    top = con.sql(f"SELECT _period FROM {relation} WHERE _period IS NOT NULL "
                  "GROUP BY _period ORDER BY count(*) DESC, _period LIMIT 1").fetchall()
    return rows, (top[0][0] if top else None)


def _row_results(con, contract: Contract, relation: str, rules: list[Rule], rows: int,
                 engine: str, districts: tuple[str, ...]) -> list[RuleResult]:
    if not rules:
        return []
    if engine == ENGINE_GX:
        suite, frame_sql = gx_suite.compile_suite(contract), gx_frame_sql(contract, relation)
    else:
        suite, frame_sql = gx_suite.compile_flag_suite(contract), flags_sql(contract, relation)
    # Arrow → pandas keeps strings Arrow-backed: ~10× faster than .df() for this frame.
    frame = con.sql(frame_sql).to_arrow_table().to_pandas()
    outcome = _runtime().run(suite, frame)
    del frame

    gx: dict[str, tuple[bool, int | None, str]] = {}
    for res in outcome.results:
        rule_id = res.expectation_config.meta["rule_id"]
        error = _raised(res.exception_info)
        if error:  # the exception message may quote a cell value: keep its type only
            gx[rule_id] = (False, None, f"GX could not evaluate the rule ({error})")
        else:
            gx[rule_id] = (bool(res.success), res.result.get("unexpected_count"), "")
    missing = {r.id for r in rules} - set(gx)
    if missing:
        raise RuntimeError(f"GX returned no result for {sorted(missing)}")

    # Districts (and a second count) only for rules that found something: clean batches pay nothing.
    flagged = [r for r in rules if not gx[r.id][0] or (gx[r.id][1] or 0) > 0]
    sql_counts: dict[str, tuple[int, list[str]]] = {}
    if flagged:
        summary = con.sql(rule_summary_sql(contract, flagged, relation, districts)).fetchall()[0]
        sql_counts = {r.id: (summary[2 * i], list(summary[2 * i + 1] or []))
                      for i, r in enumerate(flagged)}

    out = []
    for rule in rules:
        passed, count, note = gx[rule.id]
        sql_count, affected = sql_counts.get(rule.id, (0, []))
        if count is None:
            note += f"; SQL counted {sql_count}"
        elif sql_count != count:  # would mean a compiler bug: keep GX's verdict, say so loudly
            note = f"engine disagreement: GX counted {count}, SQL {sql_count}"
            log.warning("%s: %s", rule.id, note)
        out.append(RuleResult(rule.id, rule.severity, rule.dimension, rule.description, passed,
                              count, rows, affected, engine, note))
    return out


def _raised(info) -> str | None:
    """The exception's type name if GX caught one while evaluating an expectation."""
    if not isinstance(info, dict):
        return None
    for c in [info] + [v for v in info.values() if isinstance(v, dict)]:
        if c.get("raised_exception"):
            # last traceback line is "TypeError: <message>"; keep only the type
            lines = [ln for ln in str(c.get("exception_traceback") or "").splitlines() if ln.strip()]
            head = lines[-1].split(":", 1)[0].strip() if lines else ""
            return head if head.replace(".", "").replace("_", "").isalnum() else "error"
    return None


def dataset_results(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    relation: str = "batch",
    previous_counts: Mapping[str, int] | None = None,
    rows: int | None = None,
    period: str | None = None,
) -> tuple[list[RuleResult], list[tuple[str, str]]]:
    """The dataset rules only (plain DuckDB, no GX): results, and (rule_id, why) for skipped."""
    if rows is None:
        rows, period = _size_and_period(con, relation)

    def values_in(column: str) -> set:
        return {v for (v,) in con.sql(f"SELECT DISTINCT {quote(column)} FROM {relation}").fetchall()}

    return _dataset_outcomes(contract, rows, period, previous_counts, values_in)


def validate_groups(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    relation: str,
    by: str,
    previous_counts: Mapping[str, int] | None,
    clean_in: CleanRows,
) -> dict[str, ValidationResult]:
    """validate_batch for every group of `relation` by column `by` (a file's periods), when
    clean_row_rules found nothing on the whole relation: the row rules pass as there, and the
    dataset rules are read from a few grouped queries instead of one validation per group.
    Same results as validate_batch on each group's rows (tests/sources/test_ingest_many_periods.py)."""
    started = time.perf_counter()
    sizes = dict(con.sql(f"SELECT {by}, count(*) FROM {relation} GROUP BY 1").fetchall())
    main_period = dict(con.sql(
        f"SELECT g, arg_min(p, (-n, p)) FROM (SELECT {by} AS g, _period AS p, count(*) AS n "
        f"FROM {relation} WHERE _period IS NOT NULL GROUP BY 1, 2) GROUP BY g").fetchall())
    columns = sorted({r.param("column") for r in contract.dataset_rules if r.kind == "values_present"})
    values: dict[str, dict] = {}
    for column in columns:
        for group, found in con.sql(f"SELECT {by}, list(DISTINCT {quote(column)}) FROM {relation} "
                                    "GROUP BY 1").fetchall():
            values.setdefault(group, {})[column] = set(found)
    out = {}
    for group, rows in sizes.items():
        period = main_period.get(group)
        results = [RuleResult(r.id, r.severity, r.dimension, r.description, True, 0, rows, [],
                              clean_in.engine, clean_in.note) for r in contract.row_rules]
        dataset, skipped = _dataset_outcomes(contract, rows, period, previous_counts,
                                             lambda column, g=group: values.get(g, {}).get(column, set()))
        out[group] = ValidationResult(contract.source_id, contract.version, period, rows,
                                      clean_in.engine, results + dataset, skipped)
    log.info("%s: %d groups by %s validated together (%.2f s)", contract.source_id, len(out), by,
             time.perf_counter() - started)
    return out


def _dataset_outcomes(contract: Contract, rows: int, period: str | None,
                      previous_counts: Mapping[str, int] | None,
                      values_in) -> tuple[list[RuleResult], list[tuple[str, str]]]:
    results, skipped = [], []
    for rule in contract.dataset_rules:
        outcome = _dataset_result(rule, rows, period, previous_counts, values_in)
        if isinstance(outcome, str):
            skipped.append((rule.id, outcome))
        else:
            results.append(outcome)
    return results, skipped


def _dataset_result(rule: Rule, rows: int, period: str | None,
                    previous_counts: Mapping[str, int] | None, values_in):
    """A RuleResult, or a string saying why the rule could not be evaluated. `values_in(column)`:
    the distinct values of a column in the batch."""
    def result(passed: bool, count: int | None, affected: list[str], note: str) -> RuleResult:
        return RuleResult(rule.id, rule.severity, rule.dimension, rule.description, passed,
                          count, rows, affected, ENGINE_DUCKDB, note)

    if rule.kind == "values_present":
        present = values_in(rule.param("column"))
        missing = sorted(v for v in rule.param("values") if v not in present)
        return result(not missing, len(missing), [str(v) for v in missing],
                      f"missing: {', '.join(map(str, missing))}" if missing else "")
    if rule.kind == "volume":
        previous = (previous_counts or {}).get(period) if period else None
        if not previous:
            return "no row count for the previous period"
        change = 100.0 * (rows - previous) / previous
        lo, hi = rule.param("min_change_pct"), rule.param("max_change_pct")
        passed = lo <= change <= hi
        return result(passed, abs(rows - previous), [],
                      f"{rows} rows vs {previous} in the previous period ({change:+.1f} %; "
                      f"allowed {lo:+g} % to {hi:+g} %)")
    raise ValueError(f"{rule.id}: {rule.kind!r} is not a dataset rule")


class _GxRuntime:
    """One ephemeral GX context per process: a pandas datasource and a validation definition
    per compiled suite, created on first use (nothing written to disk)."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = self.context.data_sources.add_pandas("contracts").add_dataframe_asset("batch")
        self._batch = asset.add_batch_definition_whole_dataframe("whole")
        self._definitions: dict[str, tuple] = {}

    def run(self, suite, frame):
        name = suite.name
        registered = self._definitions.get(name)
        if registered is None or registered[0] is not suite:  # new, or the contract was edited
            saved = self.context.suites.add_or_update(suite)
            definition = self.context.validation_definitions.add_or_update(
                self._gx.ValidationDefinition(name=name, data=self._batch, suite=saved))
            self._definitions[name] = registered = (suite, definition)
        return registered[1].run(batch_parameters={"dataframe": frame}, result_format=_RESULT_FORMAT)


_RUNTIME: _GxRuntime | None = None


def _runtime() -> _GxRuntime:
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = _GxRuntime()
    return _RUNTIME
