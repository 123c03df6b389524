"""Reference data → staging → measures.

Staging and measure assets are made from the SQL files themselves: every `sql/staging/<name>.sql`
is an asset `stg_<name>` (files starting with `_` hold shared macros). Every measure family is one
multi-asset: the measure with `sql/measures/<id>.sql` and the measures its `also_publish` names
in measures.yaml, one asset `measure_<id>` each, computed by one run of that SQL. Upstream assets
are read off the tables the SQL names (raw.x → raw_x, staging.x → stg_x). Adding a contributory
measure is SQL plus a measures.yaml entry; no Python changes.

Every asset here refreshes itself when something upstream changed (automation_conditions.py), so
a new quarter of one source recomputes only what reads that source.
"""


import hashlib
import re
from pathlib import Path

import dagster as dg
import polars as pl
from dagster import AssetExecutionContext

from pipelines.config import REFERENCE_DIR, SQL_DIR
from pipelines.defs.automation_conditions import REFRESH_WHEN_UPSTREAM_CHANGES
from pipelines.defs.resources import Warehouse
from pipelines.measures.measure_config import Measure, MeasureConfig, default_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import group_sets, publish
from pipelines.reference import load_reference
from pipelines.staging import build_staging
from pipelines.warehouse import read_sql, replace_rows

REFERENCE = dg.AssetKey("reference_data")
_TABLE = re.compile(r"\b(raw|staging)\.([a-z0-9_]+)", re.IGNORECASE)
_PERIOD_ALIAS = re.compile(r"\._period\s+AS\s+([a-z0-9_]+)", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")
_VARIABLE = re.compile(r"getvariable\('([a-z0-9_]+)'\)")


def upstream_of(sql: str) -> list[dg.AssetKey]:
    """The assets whose tables the SQL reads (comments left out: they may name files)."""
    keys = {REFERENCE}
    for schema, table in _TABLE.findall(_COMMENT.sub("", sql)):
        keys.add(dg.AssetKey(f"raw_{table}" if schema.lower() == "raw" else f"stg_{table}"))
    return sorted(keys, key=lambda k: k.to_user_string())


# No automation condition: the raw assets load the reference tables themselves, and a change to
# reference/ reaches the marts through `slm run` or the quarterly schedule. (on_missing() would
# recompute every asset downstream the first time a fresh instance sees the warehouse.)
@dg.asset(group_name="reference", kinds={"duckdb"},
          description="Versioned reference CSVs (reference/) loaded into the ref schema.")
def reference_data(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        counts = load_reference(con)
    lines = ["| table | rows |", "|---|---|"] + [f"| ref.{k} | {v} |" for k, v in sorted(counts.items())]
    return dg.MaterializeResult(metadata={
        "rows": sum(counts.values()),
        "periods_covered": "not period-specific",
        "definition_version": files_version(sorted(REFERENCE_DIR.rglob("*.csv"))),
        "preview": dg.MetadataValue.md("\n".join(lines)),
        **{f"ref.{k}": v for k, v in counts.items()},
    })


def staging_asset(sql_file: Path) -> dg.AssetsDefinition:
    name = sql_file.stem
    sql = read_sql(sql_file)
    period = _PERIOD_ALIAS.search(sql)

    @dg.asset(name=f"stg_{name}", group_name="staging", kinds={"duckdb"},
              deps=[k for k in upstream_of(sql) if k != dg.AssetKey(f"stg_{name}")],
              automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES, description=_first_comment(sql))
    def _staging(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            build = build_staging(con, name)
            rows = con.sql(f"SELECT count(*) FROM staging.{name}").fetchall()[0][0]
            # Rows per period, never unit records: staging rows are about people.
            by_period = con.sql(f"SELECT {period.group(1)}, count(*) FROM staging.{name} GROUP BY 1 ORDER BY 1"
                                ).fetchall() if period else []
        return dg.MaterializeResult(metadata={
            "rows": rows,
            "build": build.describe(),
            "periods_covered": (f"{by_period[0][0]} … {by_period[-1][0]} ({len(by_period)} periods)"
                                if by_period else "not period-specific"),
            "definition_version": files_version([*sorted(sql_file.parent.glob("_*.sql")), sql_file]),
            "preview": dg.MetadataValue.md("\n".join(
                ["| period | rows |", "|---|---|"] + [f"| {p} | {n} |" for p, n in by_period])
                if by_period else f"{rows} rows"),
        })

    return _staging


def files_version(paths: list[Path]) -> str:
    """A short content hash: what changed when a table changed without its data changing."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return f"sha256:{digest.hexdigest()[:12]}"


def measure_families(config: MeasureConfig | None = None) -> dict[str, list[Measure]]:
    """Each measure with its own SQL file heads a family: itself, then every measure its
    `also_publish` names (measures.yaml). The family's SQL runs once for all of them."""
    config = config or default_config()
    members = {m for measure in config.measures.values() for m in measure.settings.get("also_publish", [])}
    families = {}
    for head in config.measures.values():
        if head.measure_id in members or not head.sql_file.exists():
            continue
        family = [head, *(config.measure(m) for m in head.settings.get("also_publish", []))]
        _check_shared_settings(head, family)
        families[head.measure_id] = family
    return families


def _check_shared_settings(head: Measure, family: list[Measure]) -> None:
    """The SQL runs with the head's settings, so a setting it reads must be the same for all."""
    read = set(_VARIABLE.findall(read_sql(head.sql_file)))
    for member in family[1:]:
        differ = sorted(k for k in read if member.settings.get(k) != head.settings.get(k))
        if differ:
            raise ValueError(
                f"measures.yaml: {member.measure_id} is published from {head.sql_file.name} "
                f"(also_publish of {head.measure_id}) but sets {', '.join(differ)} differently; "
                "the SQL runs once, with the settings of " + head.measure_id)


def family_asset(family: list[Measure]) -> dg.AssetsDefinition:
    head = family[0]
    # Every family runs _common.sql first (its macros read staging.population), so that file's
    # tables are upstream of every measure too.
    sql = read_sql(SQL_DIR / "measures" / "_common.sql") + read_sql(head.sql_file)
    specs = [dg.AssetSpec(
        f"measure_{m.measure_id}", group_name="measures", kinds={"duckdb", "polars"},
        deps=upstream_of(sql), automation_condition=REFRESH_WHEN_UPSTREAM_CHANGES,
        description=f"{m.name} ({m.definition_version}). Definition beside its SQL in "
        f"sql/measures/{head.sql_file.name}" + ("." if m is head else f", published with {head.measure_id}."),
    ) for m in family]

    @dg.multi_asset(name=f"measures_{head.measure_id}", specs=specs, can_subset=False)
    def _family(context: AssetExecutionContext, warehouse: Warehouse):
        config = default_config()
        with warehouse.connect() as con:
            builds = run_measure_sql(con, head)
            for build in builds:
                context.log.info(f"marts.{build.name}: {build.describe()}")
            for measure in family:
                rows = publish(con, measure, config, group_sets(con, measure))
                replace_rows(con, "marts.measures", rows, "measure_id", measure.measure_id)
                metadata = measure_metadata(rows, measure)
                if builds:
                    metadata["events_build"] = "; ".join(f"marts.{b.name}: {b.describe()}" for b in builds)
                yield dg.MaterializeResult(asset_key=f"measure_{measure.measure_id}", metadata=metadata)

    return _family


def measure_metadata(rows: pl.DataFrame, measure: Measure) -> dict:
    withheld = rows.filter(pl.col("status") == "withheld")
    return {
        "rows": rows.height,
        "windows": rows.select("period_end").n_unique(),
        "periods_covered": periods_covered(rows),
        "withheld_windows": dg.MetadataValue.md(_withheld_table(withheld)),
        "preview": dg.MetadataValue.md(_latest_national(rows)),
        "definition_version": measure.definition_version,
    }


def periods_covered(rows: pl.DataFrame) -> str:
    if rows.is_empty():
        return "none"
    ends = rows.select(pl.col("period_end").min().alias("first"), pl.col("period_end").max().alias("last"))
    return f"windows ending {ends['first'].item()} … {ends['last'].item()}"


def _first_comment(sql: str) -> str:
    lines = [ln[2:].strip() for ln in sql.splitlines() if ln.startswith("--")]
    return " ".join(lines[:3])


def _withheld_table(withheld: pl.DataFrame) -> str:
    if withheld.is_empty():
        return "none"
    reasons = withheld.group_by("period_label", "status_reason").len().sort("period_label")
    return "\n".join(["| window | why |", "|---|---|"] + [
        f"| {r['period_label']} | {r['status_reason']} |" for r in reasons.iter_rows(named=True)])


def _latest_national(rows: pl.DataFrame) -> str:
    national = rows.filter((pl.col("district_code") == "000") & (pl.col("status") == "published"))
    if national.is_empty():
        return "no published window"
    latest = national.filter(pl.col("period_end") == national["period_end"].max())
    lines = ["| group | breakdown | numerator | denominator | value | 95% CI |", "|---|---|---|---|---|---|"]
    for r in latest.sort("group_id").iter_rows(named=True):
        lines.append(f"| {r['group_id']} | {r['breakdown']} | {r['numerator']:.0f} | {r['denominator']:.0f} | "
                     f"{_fmt(r['value'])} | {_fmt(r['lower_ci'])}–{_fmt(r['upper_ci'])} |")
    return "\n".join(lines)


def _fmt(x) -> str:
    return "–" if x is None else f"{x:,.1f}"


def measures_with_sql() -> list[Measure]:
    """Every published measure, family by family (a family's members after its head)."""
    return [m for family in measure_families().values() for m in family]


@dg.definitions
def defs() -> dg.Definitions:
    staging = [staging_asset(p) for p in sorted((SQL_DIR / "staging").glob("*.sql"))
               if not p.name.startswith("_")]
    families = [family_asset(f) for f in measure_families().values()]
    return dg.Definitions(assets=[reference_data, *staging, *families])
