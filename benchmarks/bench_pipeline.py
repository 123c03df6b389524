"""Benchmark: generate national synthetic extracts, ingest them, compute the measures; print figures.

    .venv/bin/python -m benchmarks.bench_pipeline --years 10            # the issue-3 acceptance run
    .venv/bin/python -m benchmarks.bench_pipeline --years 1 --keep DIR  # quicker, keep the output

Prints wall time and peak memory per stage, rows per second, and the provenance balance
(rows read = loaded + quarantined for every file). Speed targets are read off this output, never
asserted in tests.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage(name: str):
    class _Timer:
        def __enter__(self):
            self.t0 = time.perf_counter()
            return self

        def __exit__(self, *exc):
            self.seconds = time.perf_counter() - self.t0
            print(f"{name:<34} {self.seconds:8.1f} s   peak RSS so far {peak_rss_mib():8.0f} MiB", flush=True)

    return _Timer()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="national")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--end-quarter", default="2025Q4")
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep the files")
    args = parser.parse_args()

    from pipelines.defs.sources import source_ids
    from pipelines.reference import load_reference
    from pipelines.sources import ingest_source
    from pipelines.synthetic import generate
    from pipelines.warehouse import connect

    root = args.keep or Path(tempfile.mkdtemp(prefix="slm-bench-"))
    landing, truth, db = root / "landing", root / "truth", root / "warehouse.duckdb"
    print(f"benchmark: preset={args.preset} years={args.years} in {root}")

    with stage("generate"):
        generate(preset=args.preset, out_dir=landing, truth_dir=truth, years=args.years,
                 end_quarter=args.end_quarter, seed=20260101)
    size = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    print(f"{'landing size':<34} {size / 2**20:8.0f} MiB")

    totals = {"read": 0, "loaded": 0, "quarantined": 0}
    with stage("ingest + validate (all sources)") as t_ingest, connect(db) as con:
        load_reference(con)
        for source_id in source_ids():
            t0 = time.perf_counter()
            summary = ingest_source(con, source_id, landing)
            rows = summary.rows
            for k in totals:
                totals[k] += rows[k]
            files = len(summary.files)
            secs = time.perf_counter() - t0
            if files:
                print(f"  {source_id:<22} {files:4d} files {rows['read']:>11,} rows {secs:7.1f} s "
                      f"({rows['read'] / max(secs, 1e-9):>10,.0f} rows/s, "
                      f"{secs / files:5.2f} s per file)", flush=True)
        unbalanced = con.sql("""
            SELECT count(*) FROM (SELECT file_name FROM meta.provenance GROUP BY file_name
            HAVING sum(rows_read) <> sum(rows_loaded) + sum(rows_quarantined))""").fetchall()[0][0]
    print(f"{'rows read / loaded / quarantined':<34} {totals['read']:,} / {totals['loaded']:,} / "
          f"{totals['quarantined']:,}")
    print(f"{'files that do not balance':<34} {unbalanced}")
    print(f"{'ingest throughput':<34} {totals['read'] / t_ingest.seconds:,.0f} rows/s")

    from pipelines.config import SQL_DIR
    from pipelines.defs.transform import measures_with_sql
    from pipelines.measures.measure_config import default_config
    from pipelines.measures.run_sql import run_measure_sql
    from pipelines.measures.tidy_rows import publish
    from pipelines.warehouse import run_sql_file

    with stage("staging + every measure"), connect(db) as con:
        for sql in sorted((SQL_DIR / "staging").glob("*.sql")):
            try:
                run_sql_file(con, sql)
            except Exception as exc:  # a source this preset does not produce
                print(f"  staging {sql.stem}: skipped ({type(exc).__name__})")
        config = default_config()
        for measure in measures_with_sql():
            t0 = time.perf_counter()
            try:
                run_measure_sql(con, measure)
                rows = publish(con, measure, config)
                print(f"  {measure.measure_id:<28} {rows.height:>8,} rows {time.perf_counter() - t0:6.1f} s")
            except Exception as exc:
                print(f"  {measure.measure_id:<28} FAILED {type(exc).__name__}: {exc}")

    print(f"{'peak RSS (whole process)':<34} {peak_rss_mib():8.0f} MiB")
    if args.keep is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
