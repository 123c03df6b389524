"""Benchmark: validating national NMDS quarters against the nmds_events contract.

    .venv/bin/python benchmarks/bench_validation.py --landing DIR    # existing generator output
    .venv/bin/python benchmarks/bench_validation.py                  # generates 10 national years

Input is the synthetic generator's national preset (python -m pipelines.synthetic), one CSV per
quarter (~280,000 events). Each quarter is read as text and typed the way ingestion types it,
then validated with validate_batch; the read is timed separately. Prints seconds per quarter,
the 10-year total, peak RSS, and one quarter under each row-rule engine.
Targets (docs/data-contracts.md): ≤ 10 s for one quarter, ≤ 120 s for 40 quarters.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.contracts import load_contract, row_violations_sql, validate_batch  # noqa: E402
from pipelines.contracts.validate import ENGINE_FLAGS, ENGINE_GX  # noqa: E402
from pipelines.sources.contract_types import typed_select  # noqa: E402


def generate(out: Path, years: int) -> Path:
    landing = out / "landing"
    subprocess.run([sys.executable, "-m", "pipelines.synthetic", "--preset", "national",
                    "--years", str(years), "--sources", "population,nmds_events",
                    "--out", str(landing), "--truth-out", str(out / "truth")], check=True, cwd=ROOT)
    return landing


def load_quarter(con: duckdb.DuckDBPyConnection, contract, path: Path) -> int:
    """Read every cell as text, then type it as the contract declares (as ingestion does)."""
    con.execute("CREATE OR REPLACE TEMP TABLE _text AS SELECT row_number() OVER () AS _row_number, * "
                "FROM read_csv(?, header = true, all_varchar = true)", [str(path)]).fetchall()
    present = {r[0] for r in con.execute("DESCRIBE _text").fetchall()}
    con.execute("CREATE OR REPLACE TEMP TABLE batch AS " + typed_select(
        contract.columns, present, contract.period_column, contract.period_kind, "_text")).fetchall()
    con.execute("DROP TABLE _text").fetchall()
    return con.execute("SELECT count(*) FROM batch").fetchall()[0][0]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--landing", type=Path, help="generator output folder (has nmds_events/)")
    ap.add_argument("--years", type=int, default=10, help="years to generate without --landing")
    ap.add_argument("--quarters", type=int, default=None, help="validate only the last N quarters")
    ap.add_argument("--engine", default="auto", help="auto | great_expectations | duckdb+great_expectations")
    args = ap.parse_args(argv)

    landing = args.landing or generate(Path(tempfile.mkdtemp(prefix="bench_contracts_")), args.years)
    files = sorted((landing / "nmds_events").glob("nmds_events_*.csv"))
    if args.quarters:
        files = files[-args.quarters:]
    if not files:
        print(f"no nmds_events files under {landing}", file=sys.stderr)
        return 1
    contract = load_contract("nmds_events")
    con = duckdb.connect()
    print(f"{len(files)} quarters from {landing}; {os.cpu_count()} CPUs; load average "
          f"{os.getloadavg()[0]:.1f}")

    started = time.perf_counter()
    import great_expectations  # noqa: F401  (timed once: every process pays it)

    from pipelines.contracts.validate import _runtime

    _runtime()
    gx_start = time.perf_counter() - started
    print(f"GX import + context: {gx_start:.1f} s (once per process)\n")

    print(f"{'quarter':8} {'rows':>9} {'read+type s':>11} {'validate s':>10} {'status':>8} engine")
    previous: int | None = None
    reads, checks, rows_total = [], [], 0
    for path in files:
        t0 = time.perf_counter()
        rows = load_quarter(con, contract, path)
        t1 = time.perf_counter()
        period = con.execute("SELECT _period FROM batch GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").fetchall()[0][0]
        result = validate_batch(con, contract, "batch",
                                previous_counts={period: previous} if previous else None,
                                engine=args.engine)
        t2 = time.perf_counter()
        reads.append(t1 - t0)
        checks.append(t2 - t1)
        rows_total += rows
        previous = rows
        print(f"{period:8} {rows:>9,} {t1 - t0:>11.2f} {t2 - t1:>10.2f} {result.status:>8} {result.engine}")

    t0 = time.perf_counter()
    flagged = con.execute(f"SELECT count(*) FROM ({row_violations_sql(contract)})").fetchall()[0][0]
    t_violations = time.perf_counter() - t0
    engines = {}
    for engine in (ENGINE_GX, ENGINE_FLAGS):
        t0 = time.perf_counter()
        validate_batch(con, contract, "batch", engine=engine)
        engines[engine] = time.perf_counter() - t0

    print(f"\nrows validated: {rows_total:,} in {len(files)} quarters")
    print(f"validate per quarter: median {statistics.median(checks):.2f} s, max {max(checks):.2f} s "
          f"(target ≤ 10 s)")
    print(f"validate total: {sum(checks):.1f} s (target ≤ 120 s for 40 quarters); "
          f"with GX start-up {sum(checks) + gx_start:.1f} s")
    print(f"read + type total: {sum(reads):.1f} s (ingestion's cost, not validation's)")
    print(f"row_violations_sql on the last quarter: {t_violations:.2f} s ({flagged} rows flagged)")
    print("last quarter by engine: " + ", ".join(f"{k} {v:.2f} s" for k, v in engines.items()))
    print(f"peak RSS: {peak_rss_mib():,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
