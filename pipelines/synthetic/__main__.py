"""CLI: python -m pipelines.synthetic --preset small|national --out DIR --truth-out DIR …"""

from __future__ import annotations

import argparse
import resource
import sys

from .generate import generate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipelines.synthetic", description=__doc__)
    ap.add_argument("--preset", choices=["small", "national"], default="small")
    ap.add_argument("--out", default="data/landing", help="landing folder (one subfolder a source)")
    ap.add_argument("--truth-out", default="data/truth", help="folder for truth and manifest")
    ap.add_argument("--years", type=int, default=None, help="years of quarters (preset default)")
    ap.add_argument("--end-quarter", default="2025Q4")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--sources", default=None, help="comma-separated source ids (default: all)")
    ap.add_argument("--defects", default=None, help="comma-separated kind@source@period")
    ap.add_argument("--ash-change", default=None,
                    help="opt-in step change in ASH 0–4, e.g. group=pacific:x2@2025Q1 or "
                         "condition=dental:x3@2025Q1 (default: none)")
    ap.add_argument("--plant", action="append", default=None,
                    help="plant a change: measure@district@group@start@level[@slope], "
                         "district 000 = national (repeatable; off by default)")
    a = ap.parse_args(argv)
    summary = generate(
        a.preset, a.out, a.truth_out, years=a.years, end_quarter=a.end_quarter, seed=a.seed,
        sources=a.sources.split(",") if a.sources else None,
        defects=a.defects.split(",") if a.defects else None, ash_change=a.ash_change,
        plants=a.plant,
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    by_source: dict[str, int] = {}
    for f in summary.files:
        src = f["file"].split("/")[0]
        by_source[src] = by_source.get(src, 0) + f["rows"]
    for src, rows in by_source.items():
        print(f"{src:20s} {rows:>12,d} rows")
    print(f"{len(summary.files)} files in {a.out}; truth in {a.truth_out}; "
          f"{summary.seconds:.1f} s; peak RSS {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
