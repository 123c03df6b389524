"""NNPAC emergency department attendances, one Parquet file per quarter.

Youth alcohol truth: attendances of 10–24 year olds flagged Y or U, attended (not DNA/DNW), not a
follow-up, counted by district of service: Σ over home districts of expected counts × the
probability of attending each district's ED. The headline youth_alcohol_ed is their share of all
such attendances (expected flagged / expected attendances); the companion youth_alcohol_ed_rate
is per 100,000 population 10–24 of the service district.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from . import diagnoses as dx
from .calendar import rolling_windows
from .context import Context, draw_cells
from .facilities import referral_tables
from .identity import birth_dates
from .model import curve
from .people import CODE3, person_columns
from .population import AGES
from .reference import GROUP_IDS
from .truth import aggregate_truth, measure_definition
from .writers import write_parquet

ED_RATE = curve({0: 0.5, 1: 0.3, 5: 0.15, 15: 0.22, 25: 0.19, 45: 0.17, 65: 0.24, 80: 0.42,
                 90: 0.6})
ED_MIX = np.array([1.4, 1.3, 0.6, 1.0])
OWN_ED = 0.95
PURCHASE_UNITS = (("ED05001", 0.25), ("ED05001A", 0.1), ("ED04001", 0.2), ("ED04001A", 0.05),
                  ("ED03001", 0.15), ("ED03001A", 0.05), ("ED02001", 0.08), ("ED02001A", 0.02),
                  ("ED06001", 0.07), ("ED06001A", 0.03))
ATTENDANCE = (("ATT", 0.94), ("DNW", 0.05), ("DNA", 0.01))
FOLLOW_UP = 0.03
ALCOHOL = {  # (Y, U, S); the rest N
    "child": (0.001, 0.02, 0.002), "youth": (0.05, 0.03, 0.01), "adult": (0.04, 0.03, 0.01)}


def _service_matrix() -> np.ndarray:
    """P(ED district = column | home district = row)."""
    tertiary, _ = referral_tables()
    n = len(CODE3)
    m = np.zeros((n, n))
    m[np.arange(n), np.arange(n)] += OWN_ED
    m[np.arange(n), tertiary] += 1 - OWN_ED
    return m


def _alcohol_probs() -> np.ndarray:
    """(age, [Y, U, S, N])."""
    band = np.where(AGES < 10, "child", np.where(AGES <= 24, "youth", "adult"))
    p = np.array([ALCOHOL[b] for b in band])
    return np.column_stack([p, 1 - p.sum(axis=1)])


def generate(ctx: Context):
    spec = measure_definition("youth_alcohol_ed")
    lo, hi = spec["age_min_years"], spec["age_max_years"]
    rate = ED_MIX[None, :, None, None] * ED_RATE[None, None, :, None]
    alcohol = _alcohol_probs()
    flagged = alcohol[:, 0] + alcohol[:, 1]  # Y or U, the literal HQMNZ wording
    presenting = ((lo <= AGES) & (hi >= AGES)) * ATTENDANCE[0][1] * (1 - FOLLOW_UP)
    counted = presenting * flagged
    service = _service_matrix()
    district_rate = np.exp(ctx.rng("nnpac_ed", "districts").normal(0, 0.1, len(CODE3)))
    rate = rate * district_rate[:, None, None, None]
    files, expected, presentations = [], {}, {}
    for q in ctx.quarters:
        rng = ctx.rng("nnpac_ed", q.label)
        pop = ctx.population(q.year)
        d, g, a, s = draw_cells(pop * rate / 4, rng)
        n = len(d)
        when = np.datetime64(q.start.isoformat(), "D") + rng.integers(0, q.days, n).astype(
            "timedelta64[D]")
        dob = birth_dates(when, a, rng)
        who = person_columns(d, g, s, dob, pop[d, g, a, s], rng, ctx.seed)
        cum = service.cumsum(axis=1)
        ed = (rng.random(n)[:, None] > cum[d]).sum(axis=1)
        u = rng.random(n)
        flag = np.array(["Y", "U", "S", "N"], dtype=object)[
            (u[:, None] > alcohol[a].cumsum(axis=1)).sum(axis=1)]
        frame = pl.DataFrame({
            **{k: who[k] for k in ("nhi_encrypted",)}, "date_of_birth": dob, "sex": who["sex"],
            "ethnic_code_1": who["ethnic_code_1"], "ethnic_code_2": who["ethnic_code_2"],
            "ethnic_code_3": who["ethnic_code_3"], "dhb_of_domicile": CODE3[d],
            "dhb_of_service": CODE3[ed], "presentation_date": when,
            "purchase_unit": dx.draw(PURCHASE_UNITS, n, rng),
            "attendance_code": dx.draw(ATTENDANCE, n, rng),
            "service_type": np.where(rng.random(n) < FOLLOW_UP, "FU", "").astype(object),
            "alcohol_related": flag, "_tiebreak": rng.random(n),
        }).sort("presentation_date", "_tiebreak").drop("_tiebreak")
        frame = frame.with_columns((pl.lit(f"N{q.year}{q.q}") + pl.int_range(1, pl.len() + 1)
                                    .cast(pl.String).str.zfill(8)).alias("event_id"))
        frame = frame.select("event_id", pl.exclude("event_id"))
        files.append(write_parquet(frame, ctx.out / "nnpac_ed" / f"nnpac_ed_{q.label}.parquet"))
        by_home = (pop * rate / 4 * counted[None, None, :, None]).sum(axis=(2, 3))  # (d, g)
        expected[q] = np.einsum("dg,de->eg", by_home, service)
        all_by_home = (pop * rate / 4 * presenting[None, None, :, None]).sum(axis=(2, 3))
        presentations[q] = np.einsum("dg,de->eg", all_by_home, service)
    cells, shares = [], []
    for w in rolling_windows(ctx.quarters):
        num = sum(expected[q] for q in w.quarters)
        den = ctx.population(w.population_year)[:, :, lo : hi + 1].sum(axis=(2, 3))
        seen = sum(presentations[q] for q in w.quarters)
        dd, gg = np.indices(num.shape).reshape(2, -1)
        for out, denominator in ((cells, den), (shares, seen)):
            out.append(pl.DataFrame({
                "period_start": w.start, "period_end": w.end, "period_label": w.label,
                "breakdown": None, "district_code": CODE3[dd],
                "group_id": np.array(GROUP_IDS, dtype=object)[gg],
                "expected_numerator": num.ravel(), "denominator": denominator.ravel().astype(float),
            }, schema_overrides={"district_code": pl.String, "breakdown": pl.String}))
    return files, [aggregate_truth("youth_alcohol_ed", pl.concat(shares)),
                   aggregate_truth("youth_alcohol_ed_rate", pl.concat(cells))]
