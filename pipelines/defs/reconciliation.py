"""Reconciliation with the Ministry's published SLM aggregates (ASH 0–4, acute bed days).

One asset, marts.moh_reconciliation (sql/reconciliation/moh_release.sql): our numerator,
denominator and rate beside the Ministry's latest release for every district × group ×
period_end, with differences beyond the tolerance flagged. A warning check lists the flagged
cells: a difference is something to explain, so it never blocks the run.
"""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipelines.defs.automation_conditions import REFRESH_WHEN_UPSTREAM_CHANGES
from pipelines.defs.markdown import counts_table
from pipelines.defs.resources import Warehouse
from pipelines.defs.transform import files_version, periods_covered
from pipelines.measures.reconciliation import PAIRS, RELATIVE_TOLERANCE, SQL, reconcile

CHECK = "moh_reconciliation_within_tolerance"


@dg.asset(
    group_name="reconciliation", kinds={"duckdb"}, automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
    deps=[dg.AssetKey("stg_moh_release"), *[dg.AssetKey(f"measure_{m}") for m in PAIRS.values()]],
    description="Our unit-record ASH 0–4 and acute bed days beside the Ministry's latest release: "
    f"both values, absolute and relative difference, flagged beyond {RELATIVE_TOLERANCE:.0%}.",
    check_specs=[dg.AssetCheckSpec(CHECK, asset="moh_reconciliation", description=(
        f"Numerators, denominators and rates agree with the Ministry within {RELATIVE_TOLERANCE:.0%}."))],
)
def moh_reconciliation(warehouse: Warehouse):
    with warehouse.connect() as con:
        table = reconcile(con)
    flagged = table.filter(pl.col("beyond_tolerance"))
    yield dg.MaterializeResult(metadata={
        "rows": table.height,
        "flagged": flagged.height,
        "periods": table.select("period_end").n_unique(),
        "periods_covered": periods_covered(table),
        "definition_version": files_version([SQL]) + f", tolerance {RELATIVE_TOLERANCE:.0%}",
        "preview": dg.MetadataValue.md(_by_quantity(flagged)),
        "flagged_by_quantity": dg.MetadataValue.md(_by_quantity(flagged)),
    })
    yield dg.AssetCheckResult(
        check_name=CHECK, passed=flagged.is_empty(), severity=dg.AssetCheckSeverity.WARN,
        description=f"{flagged.height} of {table.height} compared values differ by more than "
        f"{RELATIVE_TOLERANCE:.0%} or exist on one side only.",
        metadata={"largest": dg.MetadataValue.md(_largest(flagged))},
    )


def _by_quantity(flagged: pl.DataFrame) -> str:
    return counts_table(flagged, ["moh_measure", "quantity"], ["measure", "quantity", "flagged"])


def _largest(flagged: pl.DataFrame, n: int = 20) -> str:
    if flagged.is_empty():
        return "none"
    top = flagged.sort(pl.col("relative_difference").abs(), descending=True, nulls_last=False).head(n)
    lines = ["| measure | period end | district | group | quantity | ours | Ministry | rel. diff | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in top.iter_rows(named=True):
        rel = "–" if r["relative_difference"] is None else f"{r['relative_difference']:+.1%}"
        lines.append(f"| {r['moh_measure']} | {r['period_end']} | {r['district_code']} | {r['group_id']} | "
                     f"{r['quantity']} | {_fmt(r['ours'])} | {_fmt(r['ministry'])} | {rel} | {r['note'] or ''} |")
    return "\n".join(lines)


def _fmt(x) -> str:
    return "–" if x is None else f"{x:,.1f}"


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[moh_reconciliation])
