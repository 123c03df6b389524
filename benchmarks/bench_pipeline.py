"""Benchmark the pipeline on national synthetic extracts; print figures (issue 11).

    make bench                       # national, YEARS=10 (default), every part below but 3x/10x
    make bench SCALES=1,3,10         # + the rebuild at 3x and 10x the population (hours)
    .venv/bin/python -m benchmarks.bench_pipeline --years 2                  # quicker, no slm run
    .venv/bin/python -m benchmarks.bench_pipeline --landing /path/to/landing # reuse landed files

Prints a table (stage, wall, CPU = user + sys incl. children, peak RSS incl. children), then:
- the raw-DuckDB floor (every landed file read as text by DuckDB and cast to the contract types)
  measured in the same run, and the ratio rebuild / floor;
- a straightforward pandas ASH 0–4 + crude acute bed days over the same files vs ours (and a check
  that both counted the same events and bed days);
- Ministry releases ingested one by one: time for the first N and first 2N releases (linear ⇒ ≈2×);
- with --incremental: `slm run` (Dagster, dashboards included) on the landing folder without the last
  quarter's files, then again after dropping them in;
- a scale table: the rebuild's time and memory for each --scale multiplier (the first in this
  process, every further one in a subprocess generating its own data at that size).
Speed targets are read off this output, never asserted in tests. Timings on a shared machine are
noisy: compare CPU seconds as well as wall seconds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.meter import Meter


def _register_scale(preset: str, scale: float) -> str:
    """A preset for `scale` × the named preset's population (the generator scales every source)."""
    from pipelines.synthetic import presets

    if scale == 1:
        return preset
    base = presets.preset(preset)
    name = f"{preset}_x{scale:g}"
    presets.PRESETS[name] = presets.Preset(name, base.scale * scale, base.default_years)
    return name


def landed_files(landing: Path, source_id: str) -> list[Path]:
    return sorted(p for p in (landing / source_id).glob("*") if p.is_file()) if (landing / source_id).is_dir() else []


def raw_duckdb_floor(landing: Path, db: Path, sources: list[str]) -> dict[str, int]:
    """DuckDB alone: read every landed file as text and cast it to the contract's types.
    CSV and Parquet through DuckDB's own readers (all files of a source in one parallel scan);
    the few .xlsx files (Ministry releases) through the pipeline's reader, DuckDB has no built-in one."""
    import duckdb

    from pipelines import contracts
    from pipelines.contracts.sql import quote
    from pipelines.sources.contract_types import cast_expression
    from pipelines.sources.readers import read_as_text

    rows: dict[str, int] = {}
    con = duckdb.connect(str(db))
    try:
        for source_id in sources:
            contract = contracts.load_contract(source_id)
            files = landed_files(landing, source_id)
            by_kind = {k: [str(p) for p in files if p.suffix.lower() == f".{k}"] for k in ("csv", "parquet", "xlsx")}
            n = 0
            for kind, paths in by_kind.items():
                if not paths:
                    continue
                if kind == "csv":
                    text = f"read_csv({paths!r}, all_varchar = true, header = true, union_by_name = true)"
                elif kind == "parquet":
                    text = f"(SELECT COLUMNS(*)::VARCHAR FROM read_parquet({paths!r}, union_by_name = true))"
                else:
                    import polars as pl

                    frame = pl.concat([read_as_text(Path(p)) for p in paths], how="diagonal_relaxed")
                    con.register("_xlsx_text", frame)
                    text = "_xlsx_text"
                present = {r[0] for r in con.sql(f"DESCRIBE SELECT * FROM {text}").fetchall()}
                cols = ", ".join(
                    f"{cast_expression(c.name, c.physical_type) if c.name in present else 'NULL'}"
                    f"::{c.physical_type} AS {quote(c.name)}" for c in contract.columns)
                table = f"floor_{source_id}_{kind}"
                con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {cols} FROM {text}")
                n += con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            if n:
                rows[source_id] = n
    finally:
        con.close()
    return rows


def ingest_all(landing: Path, db: Path, sources: list[str]) -> dict[str, int]:
    from pipelines.reference import load_reference
    from pipelines.sources import ingest_source
    from pipelines.warehouse import connect

    totals = {"read": 0, "loaded": 0, "quarantined": 0}
    with connect(db) as con:
        load_reference(con)
        for source_id in sources:
            t0 = time.perf_counter()
            summary = ingest_source(con, source_id, landing)
            rows, files, secs = summary.rows, len(summary.files), time.perf_counter() - t0
            for k in totals:
                totals[k] += rows[k]
            if files:
                print(f"    {source_id:<22} {files:4d} files {rows['read']:>12,} rows {secs:7.1f} s "
                      f"({rows['read'] / max(secs, 1e-9):>10,.0f} rows/s, {secs / files:5.2f} s per file)",
                      flush=True)
        totals["unbalanced_files"] = con.sql("""
            SELECT count(*) FROM (SELECT file_name FROM meta.provenance GROUP BY file_name
            HAVING sum(rows_read) <> sum(rows_loaded) + sum(rows_quarantined))""").fetchall()[0][0]
    return totals


def staging_and_measures(db: Path, only: set[str] | None = None, staging: set[str] | None = None) -> None:
    """Every staging table built whole, then each measure family as its asset computes it: the
    family's SQL once, then each member's published rows."""
    from pipelines.config import SQL_DIR
    from pipelines.defs.transform import measure_families
    from pipelines.measures.measure_config import default_config
    from pipelines.measures.run_sql import run_measure_sql
    from pipelines.measures.tidy_rows import publish
    from pipelines.warehouse import connect, run_staging_sql

    with connect(db) as con:
        for sql in sorted((SQL_DIR / "staging").glob("[!_]*.sql")):
            if staging is not None and sql.stem not in staging:
                continue
            try:
                run_staging_sql(con, sql.stem)
            except Exception as exc:  # a source this preset does not produce
                print(f"    staging {sql.stem}: skipped ({type(exc).__name__})")
        config = default_config()
        for family in measure_families().values():
            members = [m for m in family if only is None or m.measure_id in only]
            if not members:
                continue
            t0 = time.perf_counter()
            try:
                run_measure_sql(con, family[0])
                if only is None:
                    print(f"    {family[0].measure_id + ' SQL':<28} {'':>13} {time.perf_counter() - t0:6.1f} s")
                for measure in members:
                    t0 = time.perf_counter()
                    rows = publish(con, measure, config)
                    if only is None:
                        print(f"    {measure.measure_id:<28} {rows.height:>8,} rows {time.perf_counter() - t0:6.1f} s")
            except Exception as exc:
                print(f"    {family[0].measure_id:<28} FAILED {type(exc).__name__}: {exc}")


def pandas_vs_ours(meter: Meter, landing: Path, db: Path) -> None:
    import duckdb

    from benchmarks import pandas_baseline

    with meter.stage("pandas: read NMDS + population CSVs"):
        events, population = pandas_baseline.read_files(landing)
    with meter.stage("pandas: ASH 0-4 + crude bed days"):
        out = pandas_baseline.compute(events, population)
    p_ash = out["ash_events"].groupby("quarter").size().to_dict()
    p_beds = out["bed_day_events"].groupby("quarter")["bed_days"].sum().to_dict()
    del events, population, out  # so pandas' frames do not count in our stage's peak RSS
    gc.collect()
    ours = {"ash_0_4", "acute_bed_days", "acute_bed_days_crude", "acute_bed_days_who"}
    with meter.stage("ours: staging NMDS+pop, ASH + bed days", note="from the warehouse"):
        staging_and_measures(db, only=ours, staging={"nmds_events", "population"})
    con = duckdb.connect(str(db), read_only=True)
    try:
        ash = dict(con.sql("SELECT discharge_quarter, count(*) FROM marts.ash_0_4_events GROUP BY 1").fetchall())
        beds = dict(con.sql("SELECT discharge_quarter, sum(bed_days) FROM marts.acute_bed_days_events "
                            "GROUP BY 1").fetchall())
    finally:
        con.close()
    same = (set(p_ash) == set(ash) and all(int(p_ash[k]) == ash[k] for k in ash)
            and all(int(p_beds.get(k, 0)) == int(v) for k, v in beds.items()))
    print(f"  same events counted (ASH events and bed days per quarter, pandas vs marts.*_events): "
          f"{'yes' if same else 'NO'} ({sum(ash.values()):,} ASH events, {int(sum(beds.values())):,} bed days)")
    read, comp = meter.get("pandas: read NMDS + population CSVs"), meter.get("pandas: ASH 0-4 + crude bed days")
    mine = meter.get("ours: staging NMDS+pop, ASH + bed days")
    print(f"  pandas compute / ours: wall {comp.wall / mine.wall:.1f}x, CPU {comp.cpu / mine.cpu:.1f}x; "
          f"pandas read + compute / ours: wall {(read.wall + comp.wall) / mine.wall:.1f}x, "
          f"CPU {(read.cpu + comp.cpu) / mine.cpu:.1f}x  (target >= 10x)")


def releases(landing: Path, root: Path) -> None:
    """Ministry releases landed one at a time, each ingested as `slm run` would (every release
    restates all earlier quarters, so the rows grow with the release number)."""
    from pipelines.reference import load_reference
    from pipelines.sources import ingest_source
    from pipelines.warehouse import connect

    files = landed_files(landing, "moh_release")
    if len(files) < 2:
        print("  Ministry releases: fewer than 2 in the landing folder; not measured")
        return
    work = root / "releases"
    (work / "landing" / "moh_release").mkdir(parents=True, exist_ok=True)
    times, periods = [], []
    with connect(work / "w.duckdb") as con:
        load_reference(con)
        for f in files:
            os.link(f, work / "landing" / "moh_release" / f.name)
            t0 = time.perf_counter()
            summary = ingest_source(con, "moh_release", work / "landing")
            times.append(time.perf_counter() - t0)
            periods.append(sum(len(r.periods) for r in summary.files if r.status == "loaded"))
    n = len(files) // 2
    first, both = sum(times[:n]), sum(times[: 2 * n])
    print(f"  Ministry releases: first {n} took {first:.1f} s, first {2 * n} {both:.1f} s: ratio "
          f"{both / first:.2f} (linear ~2, quadratic ~4); last release {times[2 * n - 1]:.2f} s for "
          f"{periods[2 * n - 1]} periods restated, first {times[0]:.2f} s for {periods[0]}")
    shutil.rmtree(work)


def incremental(meter: Meter, landing: Path, root: Path, end_quarter: str) -> str:
    """`slm run` end to end (a subprocess, as a person runs it): first on the landing folder
    without the last quarter's files, then after dropping them in."""
    work = root / "incremental"
    land = work / "data" / "landing"
    held = []
    for f in landing.rglob("*"):
        if f.is_file():
            target = land / f.relative_to(landing)
            target.parent.mkdir(parents=True, exist_ok=True)
            if end_quarter in f.name:
                held.append((f, target))
            else:
                os.link(f, target)
    env = {**os.environ, "SLM_DATA_DIR": str(work / "data"), "SLM_DASHBOARDS": str(work / "dashboards"),
           "DAGSTER_HOME": str(work / "dagster_home")}
    (work / "dagster_home").mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "pipelines.cli"]

    def run(label: str, command: list[str], note: str) -> None:
        sys.stdout.flush()
        with meter.stage(label, note=note):
            done = subprocess.run([*cli, *command], env=env, capture_output=True, text=True)
        print("\n".join("    " + ln for ln in done.stdout.strip().splitlines()[-6:]))
        if done.returncode not in (0, 2):
            print(f"    exit status {done.returncode}: {done.stderr.strip()[-400:]}")

    # the setting-up, not a target
    run(f"slm run: everything before {end_quarter}", ["run"], "subprocess, Dagster, pages")
    for src, target in held:
        os.link(src, target)
    label = f"slm run: {len(held)} new {end_quarter} files"
    run(label, ["run"], "subprocess, Dagster, the pages they change")
    run(f"slm papers: board papers of the {end_quarter} pages", ["papers"],
        "subprocess, Dagster, Chromium (its renderers' CPU is not in the CPU column)")
    return label


def run_once(args, scale: float) -> dict:
    from pipelines.defs.sources import source_ids

    meter = Meter()
    root = args.keep or Path(tempfile.mkdtemp(prefix="slm-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    db = root / "warehouse.duckdb"
    preset = _register_scale(args.preset, scale)
    what = f"landing={args.landing}" if args.landing else f"preset={preset} years={args.years}"
    print(f"benchmark: {what} in {root} (pid {os.getpid()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f})")
    if args.landing:
        landing = args.landing
        print(f"  landing: {landing} (existing files, read only)")
    else:
        from pipelines.synthetic import generate

        landing = root / "landing"
        with meter.stage("generate"):
            generate(preset=preset, out_dir=landing, truth_dir=root / "truth", years=args.years,
                     end_quarter=args.end_quarter, seed=20260101)
    size = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    sources = source_ids()
    print(f"  landing size {size / 2**20:,.0f} MiB")

    with meter.stage("floor: DuckDB read as text + cast") as floor:
        floor_rows = raw_duckdb_floor(landing, root / "floor.duckdb", sources)
    (root / "floor.duckdb").unlink(missing_ok=True)
    floor.note = f"{sum(floor_rows.values()):,} rows"
    with meter.stage("ingest + validate (all sources)") as ing:
        totals = ingest_all(landing, db, sources)
    ing.note = f"{totals['read']:,} rows, {totals['read'] / ing.wall:,.0f} rows/s"
    print(f"  rows read / loaded / quarantined {totals['read']:,} / {totals['loaded']:,} / "
          f"{totals['quarantined']:,}; files that do not balance: {totals['unbalanced_files']}")
    with meter.stage("staging + every measure"):
        staging_and_measures(db)
    rebuild_wall = ing.wall + meter.get("staging + every measure").wall
    rebuild_cpu = ing.cpu + meter.get("staging + every measure").cpu

    if args.pandas:
        pandas_vs_ours(meter, landing, db)
    if args.releases:
        releases(landing, root)
    quarter = incremental(meter, landing, root, args.end_quarter) if args.incremental else None

    print()
    print(meter.table())
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (wall times on a shared machine are noisy)")
    print(f"\nfloor (DuckDB read + cast): wall {floor.wall:.1f} s, CPU {floor.cpu:.1f} s; "
          f"rebuild (ingest + staging + measures): wall {rebuild_wall:.1f} s, CPU {rebuild_cpu:.1f} s")
    print(f"rebuild / floor: wall {rebuild_wall / floor.wall:.1f}x, CPU {rebuild_cpu / floor.cpu:.1f}x "
          f"(target <= 2x); ingest alone / floor: wall {ing.wall / floor.wall:.1f}x")
    peak = max(m.peak_mib for m in meter.rows)
    rebuild_peak = max(meter.get(s).peak_mib for s in ("ingest + validate (all sources)", "staging + every measure"))
    print(f"peak RSS of the rebuild (ingest, staging, measures): {rebuild_peak:,.0f} MiB (target <= 2048 MiB); "
          f"over all stages, the floor and pandas included: {peak:,.0f} MiB")
    if quarter:
        q = meter.get(quarter)
        print(f"one new quarter ({quarter[len('slm run: '):]}, `slm run`: ingestion, refresh and pages; board papers apart): wall {q.wall:.1f} s, "
              f"CPU {q.cpu:.1f} s, peak RSS {q.peak_mib:,.0f} MiB (target <= 15 s wall)")
    summary = {"scale": scale, "years": args.years, "rows": totals["read"], "floor_wall": floor.wall,
               "floor_cpu": floor.cpu, "rebuild_wall": rebuild_wall, "rebuild_cpu": rebuild_cpu,
               "peak_mib": peak, "rebuild_peak_mib": rebuild_peak, "stages": [m.__dict__ for m in meter.rows]}
    if args.keep is None:
        shutil.rmtree(root)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="national")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--end-quarter", default="2025Q4")
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the files")
    parser.add_argument("--landing", type=Path, default=None,
                        help="use these landed files (read only) instead of generating")
    parser.add_argument("--scale", default="1",
                        help="population multipliers, e.g. 1,3,10: one subprocess each, then a table")
    parser.add_argument("--no-pandas", dest="pandas", action="store_false", help="skip pandas vs ours")
    parser.add_argument("--no-releases", dest="releases", action="store_false",
                        help="skip the Ministry-release linearity run")
    parser.add_argument("--incremental", action="store_true",
                        help="also time `slm run` before and after the last quarter's files land")
    parser.add_argument("--summary-json", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    scales = [float(s) for s in args.scale.split(",")]
    if args.summary_json:  # one scale of a scale table, run by the process below
        args.summary_json.write_text(json.dumps(run_once(args, scales[0])))
        return
    if len(scales) > 1 and args.landing:
        parser.error("--scale with several multipliers generates its own data: drop --landing")
    # the first multiplier with everything asked for, in this process; the others (their
    # own data, generated at that size) in a subprocess each, for the scale table only
    results = [(scales[0], 0.0, 0, run_once(args, scales[0]))]
    for s in scales[1:]:
        out = Path(tempfile.mkstemp(prefix="slm-bench-", suffix=".json")[1])
        cmd = [sys.executable, "-m", "benchmarks.bench_pipeline", "--preset", args.preset,
               "--years", str(args.years), "--end-quarter", args.end_quarter, "--scale", f"{s:g}",
               "--no-pandas", "--no-releases", "--summary-json", str(out)]
        t0 = time.perf_counter()
        sys.stdout.flush()  # our lines first: the child writes to the same file
        done = subprocess.run(cmd)
        results.append((s, time.perf_counter() - t0, done.returncode,
                        json.loads(out.read_text()) if out.stat().st_size else None))
        out.unlink()
    print(scale_table(args.years, results))


def scale_table(years: int, results: list[tuple[float, float, int, dict | None]]) -> str:
    lines = [f"\nscale table ({years} years of national data × the multiplier; a multiplier "
             "not listed was not run: make bench SCALES=1,3,10)",
             f"{'scale':>5} {'rows':>13} {'floor s':>8} {'rebuild s':>10} {'rebuild CPU s':>14} "
             f"{'ratio':>6} {'peak MiB':>9}"]
    for s, wall, code, r in results:
        if r is None:
            lines.append(f"{s:5g} did not complete (exit {code} after {wall:.0f} s)")
        else:
            lines.append(f"{s:5g} {r['rows']:13,} {r['floor_wall']:8.1f} {r['rebuild_wall']:10.1f} "
                         f"{r['rebuild_cpu']:14.1f} {r['rebuild_wall'] / r['floor_wall']:6.1f} "
                         f"{r['rebuild_peak_mib']:9,.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
