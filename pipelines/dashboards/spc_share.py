"""Share of non-overlapping SPC points flagged special cause where no change was planted.

    python -m pipelines.dashboards.spc_share [--warehouse data/warehouse.duckdb] [--seed 20260101]

The synthetic generator plants an ASH 0–4 trend in three districts (pipelines.synthetic.model,
ASH_TRENDS) and no change anywhere else; this prints, per quarterly measure, how many SPC points
are special cause in the series with nothing planted (issue 12's acceptance: under 20%).
Run it after `make demo` (national) or on any warehouse built from the generator.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import polars as pl

from pipelines.config import Settings
from pipelines.dashboards.pack_inputs import directions, pack_points
from pipelines.dashboards.quarterly import special_cause_share


def unplanted_series(points: pl.DataFrame, seed: int) -> pl.DataFrame:
    """(district_code, measure_id) pairs with no planted change: every district for every
    measure except ASH 0–4 in the districts the model gave a trend."""
    from pipelines.synthetic.model import base_model
    from pipelines.synthetic.reference import districts

    trend = base_model(seed).ash_trend
    codes = [d.code3 for d in districts()]
    planted = {c for c, t in zip(codes, trend, strict=True) if t != 0}
    pairs = points.select("district_code", "measure_id").unique()
    return pairs.filter(~((pl.col("measure_id") == "ash_0_4") & pl.col("district_code").is_in(planted)))


def share_report(con: duckdb.DuckDBPyConnection, seed: int) -> list[tuple[str, int, int]]:
    points = pack_points(con)
    keep = unplanted_series(points, seed)
    out = []
    for measure_id in sorted(points.get_column("measure_id").unique().to_list()):
        one = points.filter(pl.col("measure_id") == measure_id)
        flagged, charted = special_cause_share(one, directions(), keep)
        out.append((measure_id, flagged, charted))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", type=Path, default=None)
    p.add_argument("--seed", type=int, default=20260101)
    args = p.parse_args(argv)
    path = args.warehouse or Settings.from_env().warehouse
    with duckdb.connect(str(path), read_only=True) as con:
        rows = share_report(con, args.seed)
    total_f = sum(f for _, f, _ in rows)
    total_c = sum(c for _, _, c in rows)
    for measure_id, flagged, charted in rows:
        share = f"{flagged / charted:.1%}" if charted else "n/a (no series with ≥ 12 points)"
        print(f"{measure_id}: {flagged} of {charted} quarterly SPC points special cause ({share})")
    overall = total_f / total_c if total_c else float("nan")
    print(f"all: {total_f} of {total_c} points special cause ({overall:.1%}) where no change was "
          f"planted; acceptance < 20%: {'PASS' if total_c and overall < 0.2 else 'FAIL'}")
    return 0 if total_c and overall < 0.2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
