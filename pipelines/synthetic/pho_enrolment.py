"""PHO enrolment: practice × age band × sex × ethnic group, per quarter (no planted measure)."""

from __future__ import annotations

import numpy as np
import polars as pl

from .context import Context
from .people import CODE3, GROUP_LABELS
from .presets import DISTRICT_SHAPE
from .writers import write_csv

AGE_BANDS = [f"{lo:02d}-{lo + 4:02d}" for lo in range(0, 85, 5)] + ["85+"]
ENROLLED_SHARE = np.array([0.88, 0.92, 0.92, 0.96])  # Māori, Pacific, Asian, European or Other
PEOPLE_PER_PRACTICE = 5_000
PRACTICES_PER_PHO = 30


def _practices(ctx: Context):
    """(district index, pho_id, practice_id, share of the district's enrolments) per practice."""
    rng = ctx.rng("pho_enrolment", "practices")
    rows = []
    serial, pho_serial = 0, 0
    for d, code in enumerate(CODE3):
        n = max(1, round(DISTRICT_SHAPE[code][0] * ctx.scale / PEOPLE_PER_PRACTICE))
        shares = rng.dirichlet(np.full(n, 2.0))
        for i in range(n):
            if i % PRACTICES_PER_PHO == 0:
                pho_serial += 1
            serial += 1
            rows.append((d, f"PHO{pho_serial:03d}", f"PR{serial:05d}", shares[i]))
    return rows


def generate(ctx: Context):
    practices = _practices(ctx)
    files = []
    band_of_age = np.minimum(np.arange(91) // 5, 17)
    for q in ctx.quarters:
        rng = ctx.rng("pho_enrolment", q.label)
        pop = ctx.population(q.year)  # (d, g, a, s)
        by_band = np.stack([pop[:, :, band_of_age == b, :].sum(axis=2) for b in range(18)], axis=2)
        enrolled = rng.binomial(by_band, ENROLLED_SHARE[None, :, None, None])
        frames = []
        for d in range(len(CODE3)):
            mine = [p for p in practices if p[0] == d]
            shares = np.array([p[3] for p in mine])
            split = np.stack([rng.multinomial(n, shares) for n in enrolled[d].ravel()], axis=1)
            split = split.reshape(len(mine), *enrolled[d].shape)  # practice, g, band, s
            pi, g, b, s = np.nonzero(split)
            frames.append(pl.DataFrame({
                "quarter": q.label,
                "pho_id": np.array([mine[i][1] for i in pi], dtype=object),
                "practice_id": np.array([mine[i][2] for i in pi], dtype=object),
                "dhb_code": np.full(len(pi), CODE3[d], dtype=object),
                "age_band": np.array(AGE_BANDS, dtype=object)[b],
                "sex": np.where(s == 0, "M", "F").astype(object),
                "ethnic_group": GROUP_LABELS[g],
                "enrolled": split[pi, g, b, s].astype(np.int64),
            }))
        df = pl.concat(frames).sort("practice_id", "age_band", "sex", "ethnic_group")
        files.append(write_csv(df, ctx.out / "pho_enrolment" / f"pho_enrolment_{q.label}.csv"))
    return files, []
