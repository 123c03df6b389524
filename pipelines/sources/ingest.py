"""Load one source's landing files into `raw.<source_id>`, incrementally and idempotently.

- A file whose content hash is already loaded is skipped: re-running changes nothing.
- A new or corrected file replaces exactly the periods it covers (a newer Ministry release
  supersedes an older one for every period it contains).
- Every row read is either loaded or quarantined with the rule it broke; provenance records
  rows read, loaded and quarantined for every file × period.
- Contract results for each period land in meta.dq_rule_results and meta.period_status; a period
  with a failed error-severity rule is `blocked` and the measures withhold it.
- A file that cannot be read (empty, undecodable, truncated, wrong format, …) or has no usable
  period is `rejected` with a reason naming the file and what to do; the other files and
  sources go on (docs/file-rejection.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines import contracts
from pipelines.contracts.sql import literal, quote
from pipelines.periods import parse_label
from pipelines.sources.contract_types import period_expression, type_violations_select, typed_select
from pipelines.sources.header import check_header, record_findings
from pipelines.sources.landing import LandingFile, discover
from pipelines.sources.period_range import PeriodRange, period_range
from pipelines.sources.readers import ROW_NUMBER, SHEET, UnreadableFile, read_as_text, read_column_as_text
from pipelines.warehouse import execute, insert_rows, scalar

log = logging.getLogger(__name__)


def _main_period_order(contract, column: str, allowed: PeriodRange) -> str:
    """A file's main period: the one most rows belong to; for a file restating many periods (a
    Ministry release) the latest one, the release's own quarter. Periods in range come first, so
    a stray future row does not make the whole file out of range."""
    first = f"{column} BETWEEN '{allowed.first}' AND '{allowed.last}' DESC, "
    return first + (f"{column} DESC" if contract.many_periods_per_file else
                    f"count(*) DESC, {column}")


TEXT = "_text_batch"      # the file as read, every cell text
TYPED = "_typed_batch"    # typed as the contract declares
VIOLATIONS = "_violations"
# Files up to this much in all are checked by Great Expectations in one run (checked_together).
TOGETHER_BYTES = 64 << 20


@dataclass
class FileResult:
    file_name: str
    file_hash: str
    status: str  # loaded | skipped | rejected
    periods: list[str] = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    seen_before: bool = False  # its content was loaded, skipped or rejected by an earlier run


@dataclass
class IngestSummary:
    source_id: str
    files: list[FileResult] = field(default_factory=list)

    @property
    def periods_loaded(self) -> list[str]:
        return sorted({p for f in self.files if f.status == "loaded" for p in f.periods})

    @property
    def changed_raw(self) -> bool:
        """A file was loaded: raw rows or a period's verdict may have changed."""
        return any(f.status == "loaded" for f in self.files)

    @property
    def newly_rejected(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "rejected" and not f.seen_before]

    @property
    def rows(self) -> dict[str, int]:
        return {
            "read": sum(f.rows_read for f in self.files),
            "loaded": sum(f.rows_loaded for f in self.files),
            "quarantined": sum(f.rows_quarantined for f in self.files),
        }


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    source_id: str,
    landing: Path,
    periods: set[str] | None = None,
    on_file: Callable[[FileResult], None] | None = None,
    as_of: date | None = None,
) -> IngestSummary:
    """Load new or changed files; with `periods`, only files whose main period is among them.
    `as_of` (default: SLM_AS_OF or today) decides the last period a file may hold."""
    contract = contracts.load_contract(source_id)
    ensure_raw_table(con, contract)
    allowed = period_range(contract.period_kind, as_of)
    summary = IngestSummary(source_id)
    # What the warehouse knew of the source's files, read once: a landing folder keeps every
    # release ever sent, and a query per file made the k-th release's run cost k lookups.
    known_periods = dict(execute(con, "SELECT file_hash, main_period FROM meta.landing_files "
                                      "WHERE source_id = ?", [source_id]))
    outcomes = _outcomes(con, source_id)
    files = []
    for landing_file in discover(landing, source_id):
        main_period = file_main_period(con, contract, landing_file, as_of, known_periods)
        # A file with no readable period (or one out of range) belongs to every run, so it is
        # rejected and accounted for rather than skipped by all of them.
        if periods is None or main_period is None or main_period in periods:
            files.append((landing_file, main_period))
    together = checked_together(con, contract, [
        f for f, _ in files if _earlier_outcome(outcomes.get(f.sha256, []), f.name) is None])
    done_this_run: set[str] = set()
    for landing_file, main_period in files:
        # Asked again when an earlier file of this run held the same bytes under another name.
        if landing_file.sha256 in done_this_run:
            outcomes.update(_outcomes(con, source_id, landing_file.sha256))
        done_this_run.add(landing_file.sha256)
        previous = _earlier_outcome(outcomes.get(landing_file.sha256, []), landing_file.name)
        if previous is not None:
            status, message = previous
            result = FileResult(landing_file.name, landing_file.sha256,
                                "rejected" if status == "rejected" else "skipped",
                                periods=[main_period] if main_period else [],
                                message=message if status == "rejected" else
                                "content hash already loaded", seen_before=True)
        else:
            result = _load_guarded(con, contract, landing_file, allowed, together.get(landing_file))
        summary.files.append(result)
        if on_file:
            on_file(result)
    return summary


def file_main_period(con: duckdb.DuckDBPyConnection, contract, f: LandingFile,
                     as_of: date | None = None, known: dict[str, str | None] | None = None) -> str | None:
    """The period most of the file's rows belong to (cached by content hash in
    meta.landing_files; `known`: that table's rows for the source, read beforehand), or None when
    the file has none, cannot be read, or its period is out of range (period_range.py)."""
    allowed = period_range(contract.period_kind, as_of)
    if known is None:
        known = dict(execute(con, "SELECT file_hash, main_period FROM meta.landing_files WHERE "
                                  "source_id = ? AND file_hash = ?", [contract.source_id, f.sha256]))
    if f.sha256 not in known:
        known[f.sha256] = _scan_main_period(con, contract, f, allowed)
    main = known[f.sha256]
    return main if allowed.contains(main) else None


def _scan_main_period(con: duckdb.DuckDBPyConnection, contract, f: LandingFile,
                      allowed: PeriodRange) -> str | None:
    column = next(c for c in contract.columns if c.name == contract.period_column)
    try:
        frame = read_column_as_text(f.path, column.name).with_row_index(ROW_NUMBER)
    except (pl.exceptions.ColumnNotFoundError, KeyError, UnreadableFile):
        frame = None  # loading it says why
    except Exception as exc:  # never let one file stop the scan of the others
        log.warning("%s: period scan failed (%s)", f.name, type(exc).__name__)
        frame = None
    periods: list[tuple[str, int]] = []
    if frame is not None:
        con.register("_period_column", frame)
        try:
            periods = execute(con, (
                f"SELECT p, count(*) AS n FROM (SELECT "
                f"{period_expression(column.name, column.physical_type, contract.period_kind)} AS p "
                "FROM _period_column) WHERE p IS NOT NULL GROUP BY p ORDER BY "
                + _main_period_order(contract, "p", allowed)))
        finally:
            con.unregister("_period_column")
    main = periods[0][0] if periods else None
    execute(con, "INSERT OR REPLACE INTO meta.landing_files VALUES (?, ?, ?, ?, ?)",
            [contract.source_id, f.sha256, f.name, main, sorted(p for p, _ in periods)])
    return main


def _outcomes(con: duckdb.DuckDBPyConnection, source_id: str,
              file_hash: str | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """Content hash → its (status, message, file name) rows in meta.provenance: the source's
    files, or one content's."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for h, *outcome in execute(con, "SELECT file_hash, status, message, file_name FROM meta.provenance "
                                    "WHERE source_id = ? AND file_hash = coalesce(?, file_hash)",
                               [source_id, file_hash]):
        found.setdefault(h, []).append(tuple(outcome))
    return found


def _earlier_outcome(rows: list[tuple[str, str, str]], name: str) -> tuple[str, str] | None:
    """(status, message) if this content was seen before, whatever became of it; `rows`: the
    content hash's (status, message, file name) in meta.provenance. A superseded file (an older
    Ministry release) must not be loaded again: it would overwrite the newer release that replaced
    it. A rejected one stays rejected, and says so in every run; the same bytes under another name
    are looked at afresh (a rejection can depend on the name)."""
    for status, message, _ in rows:
        if status != "rejected":
            return status, message or ""
    for status, message, file_name in rows:
        if file_name == name:
            return status, message or ""
    return None


def checked_together(con: duckdb.DuckDBPyConnection, contract,
                     files: list[LandingFile]) -> dict[LandingFile, contracts.CleanRows]:
    """Run the row rules once on several files' typed rows together (consecutive files up to
    TOGETHER_BYTES), instead of once per file: Great Expectations' fixed cost per run (about
    1.5 s for a contract of 36 row rules, whatever the rows) was most of a small file's load,
    and a run that loads many (a rebuild, a small warehouse) paid it for each. When no rule
    finds a single unexpected row in a group, none can in any file of it (clean_row_rules),
    so those files' periods pass their row rules without a run of their own. A group with a
    finding gives nothing: its files are validated one by one, exactly as before. Files that
    cannot be read or typed are left out (loading them says why)."""
    budget_bytes = TOGETHER_BYTES
    out: dict[LandingFile, contracts.CleanRows] = {}
    group: list[LandingFile] = []
    size = 0
    for f in [*files, None]:
        f_size = f.path.stat().st_size if f is not None else 0
        if f is None or (group and size + f_size > budget_bytes):
            if len(group) > 1:
                checked, clean = _clean_group(con, contract, group)
                out.update(dict.fromkeys(checked, clean) if clean else {})
            group, size = [], 0
        if f is not None and f_size <= budget_bytes:
            group.append(f)
            size += f_size
    return out


def _clean_group(con, contract, group: list[LandingFile]) -> tuple[list[LandingFile], contracts.CleanRows | None]:
    """The files of `group` checked together, and what GX found on them. A file in which the
    rules' SQL predicates (row_violations_sql, the engines agree: test_engines.py) find a row is
    left out at once, so one bad file neither costs the group a GX run nor spoils it."""
    typed, checked = [], {}
    try:
        for i, f in enumerate(group):
            try:
                text = read_as_text(f.path)
                if check_header(contract, text.columns).missing_required:
                    continue
                table = f"_together_{i}"
                con.register(TEXT, text)
                try:
                    _create_typed(con, contract, set(text.columns), table)
                finally:
                    con.unregister(TEXT)
                typed.append(table)
                if scalar(con, f"SELECT count(*) FROM ({contracts.row_violations_sql(contract, table)})"):
                    log.info("%s: a row rule finds rows in it; validated on its own", f.name)
                    continue
                checked[f] = table
            except Exception as exc:  # noqa: BLE001 (loading it alone reports it)
                log.info("%s: left out of the grouped check (%s)", f.name, type(exc).__name__)
        if len(checked) < 2:
            return list(checked), None
        execute(con, "CREATE OR REPLACE TEMP VIEW _together AS " + " UNION ALL BY NAME ".join(
            f"SELECT * FROM {table}" for table in checked.values()))
        return list(checked), contracts.clean_row_rules(con, contract, "_together", f"{len(checked)} files together")
    finally:
        execute(con, "DROP VIEW IF EXISTS _together")
        for t in typed:
            execute(con, f"DROP TABLE IF EXISTS {t}")


def _load_guarded(con, contract, f: LandingFile, allowed: PeriodRange,
                  together: contracts.CleanRows | None = None) -> FileResult:
    """Load one file; whatever goes wrong with it is that file's rejection, not the run's.
    `together`: the file's row rules already passed, with nothing unexpected, with other files'."""
    try:
        return _load_file(con, contract, f, allowed, together)
    except UnreadableFile as exc:
        return _reject_unreadable(con, contract, f, str(exc))
    except Exception as exc:  # unforeseen: the type only (a message may quote a cell)
        log.exception("%s: unexpected failure while loading", f.name)
        return _reject_unreadable(con, contract, f, (
            f"could not be loaded ({type(exc).__name__}); the file is kept out, the other files "
            "are loaded: report this file to the pipeline's maintainers"))


def ensure_raw_table(con: duckdb.DuckDBPyConnection, contract) -> None:
    """raw.<source_id> with the contract's columns, empty until a file of the source loads."""
    cols = ", ".join(f"{quote(c.name)} {c.physical_type}" for c in contract.columns)
    execute(con, (
        f"CREATE TABLE IF NOT EXISTS raw.{contract.source_id} ({cols}, _sheet VARCHAR, "
        "_period VARCHAR, _file_name VARCHAR, _file_hash VARCHAR, _row_number BIGINT)"
    ))


def _load_file(con: duckdb.DuckDBPyConnection, contract, f: LandingFile,
               allowed: PeriodRange, together: contracts.CleanRows | None = None) -> FileResult:
    text = read_as_text(f.path)
    present = set(text.columns)
    header = check_header(contract, text.columns)
    for finding in header.findings:
        log.warning("%s: %s", f.name, finding.message)
    con.register(TEXT, text)
    try:
        execute(con, "BEGIN TRANSACTION")
        try:
            record_findings(con, contract.source_id, f.name, f.sha256, header)
            if header.missing_required:
                result = _reject(con, contract, f, text.height, "; ".join(
                    m.message for m in header.missing_required))
            else:
                result = _load_typed(con, contract, f, text.height, present, allowed, header, together)
            execute(con, "COMMIT")
        except Exception:
            execute(con, "ROLLBACK")
            raise
    finally:
        con.unregister(TEXT)
    if result.rows_loaded + result.rows_quarantined != result.rows_read:
        raise AssertionError(
            f"{f.name}: {result.rows_read} rows read but {result.rows_loaded} loaded + "
            f"{result.rows_quarantined} quarantined: rows would be lost"
        )
    return result


def _create_typed(con, contract, present: set[str], table: str) -> None:
    """`table`: the file registered as TEXT, typed as its contract declares. The one typing both
    the load and the grouped check use, so the rows GX checked together are the rows loaded."""
    execute(con, f"CREATE OR REPLACE TEMP TABLE {table} AS " + typed_select(
        contract.columns, present, contract.period_column, contract.period_kind, TEXT))


def _load_typed(con, contract, f: LandingFile, rows_read: int, present: set[str],
                allowed: PeriodRange, header, together: contracts.CleanRows | None) -> FileResult:
    _create_typed(con, contract, present, TYPED)
    in_range = f"_period BETWEEN '{allowed.first}' AND '{allowed.last}'"
    main_period = scalar(con, f"SELECT _period FROM {TYPED} WHERE _period IS NOT NULL GROUP BY _period "
                              f"ORDER BY {_main_period_order(contract, '_period', allowed)} LIMIT 1")
    if main_period is None:
        return _reject(con, contract, f, rows_read,
                       f"no row has a valid {contract.period_column}")
    if not allowed.contains(main_period):
        return _reject(con, contract, f, rows_read,
                       f"column {contract.period_column}: {allowed.why_not(main_period)}")

    # Each row belongs to one period of this file; rows without a usable period are accounted
    # (and quarantined) under the file's main period, so nothing falls between periods.
    many = contract.many_periods_per_file
    execute(con, f"ALTER TABLE {TYPED} ADD COLUMN _assigned_period VARCHAR")
    execute(con, f"UPDATE {TYPED} SET _assigned_period = CASE WHEN {many} AND _period IS NOT "
                 f"NULL AND {in_range} THEN _period ELSE ? END", [main_period])
    execute(con, f"CREATE OR REPLACE TEMP VIEW batch AS SELECT * FROM {TYPED}")
    execute(con, f"CREATE OR REPLACE TEMP TABLE {VIOLATIONS} AS "
                 + _violations_select(contract, present, None if many else main_period, allowed))
    missing = [m.column for m in header.blocks_every_measure]

    result = FileResult(f.name, f.sha256, "loaded", rows_read=rows_read)
    periods = [p for (p,) in execute(con, f"SELECT DISTINCT _assigned_period FROM {TYPED} ORDER BY 1")]
    # A file restating many periods (a Ministry release) is checked by GX once, not once per
    # period: Great Expectations' fixed cost per run (~1.5 s) made release k cost k runs.
    clean = together or (contracts.clean_row_rules(con, contract, TYPED, f"the whole file, {len(periods)} periods")
                         if len(periods) > 1 else None)
    counts = _replace_periods(con, contract, f, periods)
    _record_contract_results(con, contract, counts, missing, clean)
    now = datetime.now()
    insert_rows(con, "meta.provenance", [
        (contract.source_id, f.name, f.sha256, period, *counts[period], "loaded", "", now)
        for period in periods])
    for period in periods:
        read, loaded, quarantined = counts[period]
        result.periods.append(period)
        result.rows_loaded += loaded
        result.rows_quarantined += quarantined
    return result


def _violations_select(contract, present: set[str], single_period: str | None,
                       allowed: PeriodRange) -> str:
    """Every reason to keep a row out: bad types, contract row rules (error), wrong period."""
    source_id = contract.source_id
    parts = [
        type_violations_select(source_id, contract.columns, present, TEXT),
        "SELECT _row_number, rule_id, severity, reason FROM ("
        + contracts.row_violations_sql(contract) + ") WHERE severity = 'error'",
        f"SELECT {ROW_NUMBER}, '{source_id}.period.missing', 'error', "
        f"'column {contract.period_column}: no valid period' FROM {TYPED} WHERE _period IS NULL",
    ]
    parts.append(
        f"SELECT {ROW_NUMBER}, '{source_id}.period.out_of_range', 'error', "
        f"'column {contract.period_column}: period ' || _period || ' is outside {allowed.first}"
        f"–{allowed.last} (as of {allowed.as_of.isoformat()})' FROM {TYPED} WHERE _period IS "
        f"NOT NULL AND _period NOT BETWEEN '{allowed.first}' AND '{allowed.last}'"
    )
    if single_period:
        parts.append(
            f"SELECT {ROW_NUMBER}, '{source_id}.period.outside_file_period', 'error', "
            f"'column {contract.period_column}: period ' || _period || ' is not the file''s "
            f"period {single_period}' FROM {TYPED} WHERE _period <> '{single_period}'"
        )
    return "\nUNION ALL\n".join(f"({p})" for p in parts)


def _replace_periods(con, contract, f: LandingFile, periods: list[str]) -> dict[str, tuple[int, int, int]]:
    """Swap in this file's rows for every period it holds; returns period → (rows read, loaded,
    quarantined). One statement for all the periods, not one per period: a Ministry release
    restates every earlier quarter, and per-period statements made release k cost k times one."""
    source_id = contract.source_id
    listed = ", ".join(literal(p) for p in periods)  # constants: DuckDB prunes the raw scan by them
    execute(con, "UPDATE meta.provenance SET status = 'superseded' "
                 f"WHERE source_id = ? AND period IN ({listed}) AND status = 'loaded'", [source_id])
    execute(con, f"DELETE FROM raw.{source_id} WHERE _period IN ({listed})")
    execute(con, f"DELETE FROM meta.quarantine WHERE source_id = ? AND period IN ({listed})", [source_id])

    # every row of the batch has its _assigned_period among `periods`
    execute(con, (
        "INSERT INTO meta.quarantine SELECT ?, ?, ?, v._row_number, t._assigned_period, v.rule_id, "
        "'error', v.reason, to_json(x) FROM (SELECT _row_number, min(rule_id) AS rule_id, "
        f"string_agg(reason, '; ' ORDER BY rule_id) AS reason FROM {VIOLATIONS} GROUP BY 1) v "
        f"JOIN {TYPED} t USING (_row_number) JOIN {TEXT} x USING (_row_number) "
        "ORDER BY t._assigned_period, v._row_number"
    ), [source_id, f.name, f.sha256])
    cols = ", ".join(quote(c.name) for c in contract.columns)
    sheet = SHEET if SHEET in _columns(con, TYPED) else "NULL"
    execute(con, (
        f"INSERT INTO raw.{source_id} BY NAME SELECT {cols}, {sheet} AS _sheet, _period, "
        f"? AS _file_name, ? AS _file_hash, {ROW_NUMBER} FROM {TYPED} t "
        f"WHERE _row_number NOT IN (SELECT _row_number FROM {VIOLATIONS}) "
        "ORDER BY _assigned_period, _row_number"
    ), [f.name, f.sha256])

    read = dict(execute(con, f"SELECT _assigned_period, count(*) FROM {TYPED} GROUP BY 1"))
    loaded = dict(execute(con, f"SELECT _period, count(*) FROM raw.{source_id} WHERE _period IN "
                               f"({listed}) AND _file_hash = ? GROUP BY 1", [f.sha256]))
    quarantined = dict(execute(con, "SELECT period, count(*) FROM meta.quarantine WHERE source_id = ? "
                                    f"AND period IN ({listed}) AND file_hash = ? GROUP BY 1",
                               [source_id, f.sha256]))
    return {p: (read.get(p, 0), loaded.get(p, 0), quarantined.get(p, 0)) for p in periods}


def _reject_unreadable(con, contract, f: LandingFile, why: str) -> FileResult:
    """A file that cannot be read at all: no rows to quarantine, nothing replaced."""
    message = f"{f.name}: {why}; file not loaded"
    log.error(message)
    _provenance(con, f, contract.source_id, None, 0, 0, 0, "rejected", message)
    return FileResult(f.name, f.sha256, "rejected", message=message)


def _reject(con, contract, f: LandingFile, rows_read: int, why: str) -> FileResult:
    """A file that cannot be typed at all: every row quarantined, nothing replaced."""
    message = f"{f.name}: {why}; file not loaded"
    log.error(message)
    execute(con, (
        f"INSERT INTO meta.quarantine SELECT ?, ?, ?, {ROW_NUMBER}, NULL, "
        f"'{contract.source_id}.schema.file_rejected', 'error', ?, to_json(x) FROM {TEXT} x"
    ), [contract.source_id, f.name, f.sha256, message])
    _provenance(con, f, contract.source_id, None, rows_read, 0, rows_read, "rejected", message)
    return FileResult(f.name, f.sha256, "rejected", rows_read=rows_read,
                      rows_quarantined=rows_read, message=message)


def _record_contract_results(con, contract, counts: dict[str, tuple[int, int, int]],
                             missing: list[str], clean: contracts.CleanRows | None = None) -> None:
    """Validate each period as loaded plus its quarantined rows' rules, and store the verdicts.
    With `clean` (the whole file passed its row rules) the periods' dataset rules are evaluated
    together, grouped by period, instead of one validation per period."""
    source_id = contract.source_id
    periods = sorted(counts)
    if clean is not None:
        results = contracts.validate_groups(con, contract, TYPED, "_assigned_period",
                                            _previous_counts(con, contract, periods), clean)
    else:
        results = {}
        for period in periods:
            execute(con, f"CREATE OR REPLACE TEMP VIEW batch AS SELECT * FROM {TYPED} "
                         f"WHERE _assigned_period = {literal(period)}")
            results[period] = contracts.validate_batch(
                con, contract, relation="batch", clean_in=None,
                previous_counts=_previous_counts(con, contract, [period]))
    now = datetime.now()
    type_rows = _type_rule_results(con, contract, counts, now)
    execute(con, f"DELETE FROM meta.dq_rule_results WHERE source_id = ? AND period IN "
                 f"({', '.join(literal(p) for p in periods)})", [source_id])
    all_rows, statuses = [], []
    for period in periods:
        rows = [
            (source_id, period, r.rule_id, r.severity, r.dimension, r.description, bool(r.passed),
             r.unexpected_count, r.rows_evaluated, list(r.districts_affected or []), r.engine, now)
            for r in results[period].rules
        ]
        rows += type_rows.get(period, [])
        rows += _missing_column_results(source_id, period, missing, counts[period][0], now)
        blocking = sorted({r[2] for r in rows if r[3] == "error" and not r[6]})
        warnings = any(r[3] == "warning" and not r[6] for r in rows)
        statuses.append((source_id, period, "blocked" if blocking else ("warn" if warnings else "pass"),
                         blocking, now))
        all_rows += rows
    insert_rows(con, "meta.dq_rule_results", all_rows)
    insert_rows(con, "meta.period_status", statuses, verb="INSERT OR REPLACE")


def _type_rule_results(con, contract, counts: dict[str, tuple[int, int, int]],
                       now: datetime) -> dict[str, list[tuple]]:
    """Type and period failures are rules too: report them beside the contract's own. Their
    rows are quarantined like any other bad row, and they fail (blocking the period) only beyond
    the source's documented tolerance (type_tolerance). Period → result rows."""
    source_id = contract.source_id
    found = execute(con, (
        f"SELECT t._assigned_period, v.rule_id, count(DISTINCT v._row_number) FROM {VIOLATIONS} v "
        f"JOIN {TYPED} t USING (_row_number) "
        f"WHERE v.rule_id LIKE '%.schema.%' OR v.rule_id LIKE '%.period.%' GROUP BY 1, 2 ORDER BY 1, 2"
    ))
    out: dict[str, list[tuple]] = {}
    for period, rule_id, n in found:
        rows_evaluated = counts[period][0]
        out.setdefault(period, []).append((
            source_id, period, rule_id, "error", "conformity", "cell does not have the contract's type"
            if ".schema." in rule_id else "row's period does not belong to this file",
            n <= type_tolerance(contract) * rows_evaluated + 1e-9, n, rows_evaluated, [], "sql", now))
    return out


def type_tolerance(contract) -> float:
    """Share of rows a type or period failure may affect before it blocks the period: the
    source's documented tolerance for its error row rules (0.1 % for unit-record sources, 0 for
    aggregate tables, docs/data-contracts.md), i.e. the most lenient `mostly` among them."""
    allowed = [1.0 - r.mostly for r in contract.row_rules
               if r.severity == "error" and r.mostly is not None]
    return max(allowed, default=0.0)


def _missing_column_results(source_id: str, period: str, missing: list[str],
                            rows_evaluated: int, now: datetime) -> list[tuple]:
    """A missing column that every measure of the source reads blocks the period."""
    return [(source_id, period, f"{source_id}.schema.{column}.missing", "error", "completeness",
             f"column {column} is missing from the file; every measure of the source reads it",
             False, rows_evaluated, rows_evaluated, [], "sql", now) for column in missing]


def _previous_counts(con, contract, periods: list[str]) -> dict[str, int]:
    """Rows loaded for the period before each of `periods` (this file's rows once it is swapped
    in), for the contract's volume rule."""
    before = {p: parse_label(p).previous().label for p in periods}
    found = dict(execute(con, f"SELECT _period, count(*) FROM raw.{contract.source_id} WHERE _period "
                              f"IN ({', '.join(literal(p) for p in set(before.values()))}) GROUP BY 1"))
    return {p: found[b] for p, b in before.items() if found.get(b)}


def _provenance(con, f: LandingFile, source_id, period, read, loaded, quarantined, status, message):
    execute(con, "INSERT INTO meta.provenance VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [source_id, f.name, f.sha256, period, read, loaded, quarantined, status, message,
             datetime.now()])


def _columns(con, relation: str) -> set[str]:
    return {r[0] for r in execute(con, f"DESCRIBE {relation}")}
