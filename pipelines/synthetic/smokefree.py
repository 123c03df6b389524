"""Babies at six weeks (WCTO and LMC records), one file per half-year of birth.

Each baby has a true household status (smokefree with probability p(d, g)); a record reports that
status or `U`, independently of it, so the expected proportion smokefree among babies with a known
status is p(d, g) whatever the source-precedence rule. Some WCTO contacts fall after 56 days.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from .context import Context, draw_cells
from .people import CODE3, binomial_probability, person_columns
from .reference import GROUP_IDS
from .truth import aggregate_truth, measure_definition
from .writers import write_csv

SMOKEFREE = np.array([0.45, 0.60, 0.86, 0.78])  # Māori, Pacific, Asian, European or Other
RECORD_SHARE = {"WCTO": 0.85, "LMC": 0.60}
UNKNOWN_SHARE = {"WCTO": 0.08, "LMC": 0.15}
LATE_WCTO_SHARE = 0.10  # contact after 56 days: outside the measure


def halves(ctx: Context) -> list[tuple[str, date, date]]:
    out = []
    for q in ctx.quarters:
        if q.q in (2, 4) and q.shift(-1) in ctx.quarters:
            out.append((q.half_label, q.shift(-1).start, q.end))
    return out


def generate(ctx: Context):
    p = binomial_probability(SMOKEFREE, 0.2, ctx.rng("smokefree", "districts"), (len(CODE3), 4))
    max_age = int(measure_definition("smokefree_6_weeks")["max_age_days"])
    files, cells = [], []
    for label, start, end in halves(ctx):
        rng = ctx.rng("smokefree", label)
        pop = ctx.population(start.year)[:, :, 0, :]  # babies under 1 ≈ a year's births
        days = (end - start).days + 1
        d, g, s = draw_cells(pop * days / 365.25, rng)
        n = len(d)
        dob = np.datetime64(start.isoformat(), "D") + rng.integers(0, days, n).astype(
            "timedelta64[D]")
        smokefree = rng.random(n) < p[d, g]
        who = person_columns(d, g, s, dob, pop[d, g, s], rng, ctx.seed, distinct=True)
        frames, known = [], np.zeros(n, dtype=bool)
        chosen = np.zeros(n, dtype=bool)
        for source in ("WCTO", "LMC"):  # precedence order of measures.yaml
            has = rng.random(n) < RECORD_SHARE[source]
            if source == "WCTO":
                late = rng.random(n) < LATE_WCTO_SHARE
                age = np.where(late, rng.integers(max_age + 1, 91, n), rng.integers(28, max_age + 1, n))
            else:
                age = rng.integers(10, 43, n)
            status = np.where(rng.random(n) < UNKNOWN_SHARE[source], "U",
                              np.where(smokefree, "Y", "N")).astype(object)
            usable = has & (age <= max_age) & ~chosen
            known |= usable & (status != "U")
            chosen |= usable  # the highest-precedence record within 56 days decides
            idx = np.flatnonzero(has)
            frames.append(pl.DataFrame({
                "baby_nhi_encrypted": who["nhi_encrypted"][idx],
                "date_of_birth": dob[idx],
                "contact_date": dob[idx] + age[idx].astype("timedelta64[D]"),
                "smokefree_household": status[idx], "source": source,
                "dhb_of_domicile": CODE3[d[idx]],
                "ethnic_code_1": who["ethnic_code_1"][idx], "ethnic_code_2": who["ethnic_code_2"][idx],
                "ethnic_code_3": who["ethnic_code_3"][idx], "_tiebreak": rng.random(len(idx)),
            }))
        df = pl.concat(frames).sort("date_of_birth", "_tiebreak").drop("_tiebreak")
        df = df.with_columns((pl.lit(f"SF{label}-") + pl.int_range(1, pl.len() + 1).cast(pl.String)
                              .str.zfill(7)).alias("record_id")).select("record_id", pl.exclude("record_id"))
        files.append(write_csv(df, ctx.out / "smokefree" / f"smokefree_6wk_{label}.csv"))
        num = np.zeros(p.shape)
        den = np.zeros(p.shape)
        np.add.at(num, (d[known], g[known]), p[d[known], g[known]])
        np.add.at(den, (d[known], g[known]), 1.0)
        dd, gg = np.indices(p.shape).reshape(2, -1)
        cells.append(pl.DataFrame({
            "period_start": start, "period_end": end, "period_label": label, "breakdown": None,
            "district_code": CODE3[dd], "group_id": np.array(GROUP_IDS, dtype=object)[gg],
            "expected_numerator": num.ravel(), "denominator": den.ravel(),
        }, schema_overrides={"district_code": pl.String, "breakdown": pl.String}))
    return files, [aggregate_truth("smokefree_6_weeks", pl.concat(cells))]
