"""Raw assets: one per data contract, partitioned by the source's own period.

A run loads the landing files whose main period falls in its partitions (new or changed files
only, by content hash). Each raw asset carries two checks compiled from its contract:
`<source>_contract` (error rules) and `<source>_contract_warnings` (warning rules).

A run that loads nothing (every file already loaded, or rejected) records no materialization:
the raw table did not change, so nothing downstream refreshes. Its checks still report, and a
newly rejected file is named on the error check (`newly_rejected_files`); `slm run` then
re-renders only the dashboards, whose data-quality table lists it.

Why the error check does not block the run: Dagster's blocking skips every downstream asset of
the run, and a single run loads many periods. One bad quarter must withhold that quarter's
measures and nothing else, so blocking is per period in the data (meta.period_status): the
measures withhold every window containing a blocked period, and say which rule blocked it.
"""


from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from pipelines import contracts
from pipelines.defs.partitions import BY_KIND
from pipelines.defs.resources import Warehouse
from pipelines.periods import from_partition_key
from pipelines.reference import load_reference
from pipelines.sources import ingest_source
from pipelines.sources.rejections import rejected_files
from pipelines.staging import ensure_source_tables
from pipelines.warehouse import execute

GROUP = "sources"


def partition_labels(context: AssetExecutionContext, kind: str) -> set[str]:
    return {from_partition_key(k, kind).label for k in context.partition_keys}


def raw_asset(source_id: str) -> dg.AssetsDefinition:
    contract = contracts.load_contract(source_id)
    error_check = f"{source_id}_contract"
    warning_check = f"{source_id}_contract_warnings"

    @dg.asset(
        name=f"raw_{source_id}",
        group_name=GROUP,
        partitions_def=BY_KIND[contract.period_kind],
        backfill_policy=dg.BackfillPolicy.single_run(),
        output_required=False,  # nothing loaded: no materialization, nothing downstream refreshes
        kinds={"duckdb"},
        description=f"{source_id} extracts as delivered, typed by data_contracts/{source_id}.odcs.yaml "
        f"(contract {contract.version}).",
        check_specs=[
            dg.AssetCheckSpec(error_check, asset=f"raw_{source_id}", description=(
                "Error-severity contract rules (GX + SQL). A failure blocks that period's measures.")),
            dg.AssetCheckSpec(warning_check, asset=f"raw_{source_id}", description=(
                "Warning-severity contract rules: shown, never blocking.")),
        ],
    )
    def _raw(context: AssetExecutionContext, warehouse: Warehouse):
        periods = partition_labels(context, contract.period_kind)
        with warehouse.connect() as con:
            load_reference(con)
            ensure_source_tables(con)  # also a source that never had a file: its readers run
            summary = ingest_source(
                con, source_id, Path(warehouse.landing), periods=periods,
                on_file=lambda f: context.log.info(
                    f"{f.file_name}: {f.status} — read {f.rows_read}, loaded {f.rows_loaded}, "
                    f"quarantined {f.rows_quarantined} {f.message}"),
            )
            verdicts = _period_verdicts(con, source_id, periods)
            rejected = [r.line for r in rejected_files(
                con, {f.file_hash for f in summary.files if f.status == "rejected"}, source_id)]
        blocked = {p: v for p, v in verdicts.items() if v["status"] == "blocked"}
        warned = {p: v for p, v in verdicts.items() if v["warnings"]}
        files = dg.MetadataValue.md(_files_table(summary))
        if not summary.changed_raw:
            context.log.info("No file loaded: raw_%s unchanged, no materialization.", source_id)
        else:
            yield dg.MaterializeResult(metadata={
                "rows": summary.rows["loaded"],
                "periods_covered": ", ".join(sorted(verdicts)) or "none",
                "definition_version": f"{contract.source_id} contract {contract.version}",
                "preview": dg.MetadataValue.md(_verdict_overview(verdicts)),
                "files": files,
                "rows_read": summary.rows["read"],
                "rows_loaded": summary.rows["loaded"],
                "rows_quarantined": summary.rows["quarantined"],
                "periods_loaded": ", ".join(summary.periods_loaded) or "none (nothing new)",
                "contract_version": contract.version,
                "rejected_files": dg.MetadataValue.md("\n".join(f"- {r}" for r in rejected) or "none"),
            })
        problems = ([("Blocked periods: " + ", ".join(sorted(blocked)))] if blocked else []) + rejected
        yield dg.AssetCheckResult(
            check_name=error_check, passed=not problems, severity=dg.AssetCheckSeverity.ERROR,
            description="; ".join(problems) if problems else "No error-severity rule failed.",
            metadata={"blocked_periods": dg.MetadataValue.md(_verdict_table(blocked, "errors")),
                      "rejected_files": len(rejected), "periods_checked": len(verdicts),
                      "newly_rejected_files": len(summary.newly_rejected),
                      "files": files},
        )
        yield dg.AssetCheckResult(
            check_name=warning_check, passed=not warned, severity=dg.AssetCheckSeverity.WARN,
            metadata={"warnings": dg.MetadataValue.md(_verdict_table(warned, "warnings"))},
        )

    return _raw


def _period_verdicts(con, source_id: str, periods: set[str]) -> dict[str, dict]:
    rows = execute(con, """
        SELECT s.period, s.status,
               list(r.rule_id || ' (' || coalesce(r.unexpected_count, 0) || ')' ORDER BY r.rule_id)
                   FILTER (WHERE NOT r.passed AND r.severity = 'error'),
               list(r.rule_id || ' (' || coalesce(r.unexpected_count, 0) || ')' ORDER BY r.rule_id)
                   FILTER (WHERE NOT r.passed AND r.severity = 'warning')
        FROM meta.period_status s
        LEFT JOIN meta.dq_rule_results r USING (source_id, period)
        WHERE s.source_id = ? GROUP BY s.period, s.status
    """, [source_id])
    return {p: {"status": st, "errors": e or [], "warnings": w or []}
            for p, st, e, w in rows if p in periods}


def _files_table(summary) -> str:
    lines = ["| file | status | periods | read | loaded | quarantined |", "|---|---|---|---|---|---|"]
    lines += [f"| {f.file_name} | {f.status} | {', '.join(f.periods)} | {f.rows_read} | "
              f"{f.rows_loaded} | {f.rows_quarantined} |" for f in summary.files]
    return "\n".join(lines)


def _verdict_overview(verdicts: dict[str, dict]) -> str:
    """Per period of this run: loaded or blocked, and how many rules failed (no unit records)."""
    if not verdicts:
        return "no period in this run"
    lines = ["| period | status | error rules failed | warnings |", "|---|---|---|---|"]
    lines += [f"| {p} | {v['status']} | {len(v['errors'])} | {len(v['warnings'])} |"
              for p, v in sorted(verdicts.items())]
    return "\n".join(lines)


def _verdict_table(verdicts: dict[str, dict], key: str) -> str:
    if not verdicts:
        return "none"
    lines = ["| period | failed rules (rows) |", "|---|---|"]
    lines += [f"| {p} | {'; '.join(v[key])} |" for p, v in sorted(verdicts.items())]
    return "\n".join(lines)


def source_ids() -> list[str]:
    """Every source with a contract in data_contracts/ gets a raw asset."""
    return contracts.contract_ids()


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[raw_asset(s) for s in source_ids()])
