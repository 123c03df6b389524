"""Ministry SLM releases (.xlsx): rolling 12-month ASH 0–4 and acute bed days, per quarter.

Each release restates every period up to its own quarter. Its numerators are the numbers the unit
records imply (the planted realised numerators), except that a release's latest period is
provisional (late returns: each event or bed day missing with probability 1.5 %) until the next release revises it. The newest release
therefore equals the unit records everywhere.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .calendar import Quarter, rolling_windows
from .context import Context
from .people import CODE3, GROUP_LABELS
from .writers import write_xlsx

LATE_RETURN_SHORTFALL = 0.015
SHEETS = {"ash_0_4": ("00-04", (0, 4), 100_000.0), "acute_bed_days": ("all", (0, 90), 1_000.0)}


def generate(ctx: Context, realised: dict[Quarter, dict[str, np.ndarray]]):
    windows = rolling_windows(ctx.quarters)
    files = []
    for k, newest in enumerate(windows):
        release = newest.quarters[-1]
        sheets = {}
        for measure, (age_group, (lo, hi), per) in SHEETS.items():
            rows = []
            for w in windows[: k + 1]:
                num = sum(realised[q][measure] for q in w.quarters)  # (d, g)
                if w is newest and w is not windows[-1]:
                    late = ctx.rng("moh_release", release.label, measure)
                    num = num - late.binomial(num.astype(np.int64), LATE_RETURN_SHORTFALL)
                pop = ctx.population(w.population_year)[:, :, lo : hi + 1, :].sum(axis=(2, 3))
                for d, code in enumerate(CODE3):
                    cells = [(str(GROUP_LABELS[g]), num[d, g], pop[d, g]) for g in range(4)]
                    cells.append(("Total", num[d].sum(), pop[d].sum()))
                    for label, n, p in cells:
                        rows.append((release.label, w.end, code, label, age_group, float(n),
                                     float(p), float(n / p * per) if p else None))
            sheets[measure] = pl.DataFrame(rows, orient="row", schema={
                "release_id": pl.String, "period_end": pl.Date, "dhb_code": pl.String,
                "ethnic_group": pl.String, "age_group": pl.String, "numerator": pl.Float64,
                "denominator": pl.Float64, "rate": pl.Float64})
        files.append(write_xlsx(sheets, ctx.out / "moh_release" /
                                f"moh_slm_release_{release.label}.xlsx"))
    return files, []
