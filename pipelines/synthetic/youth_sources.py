"""Youth SLM sources: ESR chlamydia testing counts, adolescent oral health utilisation and the
Marama youth experience survey. Each is a binomial draw around planted probabilities, so the
truth is the expected proportion given the written denominators."""

from __future__ import annotations

import numpy as np
import polars as pl

from .calendar import rolling_windows
from .context import Context
from .people import CODE3, GROUP_LABELS, binomial_probability
from .reference import GROUP_IDS
from .truth import aggregate_truth
from .writers import write_csv, write_xlsx

# Quarterly probability that a person is tested: (15-19, 20-24) × (M, F), times group mix.
TEST_RATE = np.array([[0.022, 0.075], [0.035, 0.11]])
TEST_MIX = np.array([1.2, 0.9, 0.5, 1.0])
POSITIVITY = np.array([0.13, 0.11, 0.04, 0.07])
ORAL_HEALTH = np.array([0.55, 0.52, 0.70, 0.78])
SAFE_SUPPORTED = np.array([0.78, 0.80, 0.82, 0.85])  # P(answer 4 or 5)
MARAMA_PER_YEAR = 3_000
SERVICES = ("Infant, child and adolescent mental health", "Youth alcohol and drug service",
            "Kaupapa Māori youth service", "Youth one stop shop")


def _cells_frame(start, end, label, d, g, num, den, breakdown=None) -> pl.DataFrame:
    return pl.DataFrame({
        "period_start": start, "period_end": end, "period_label": label, "breakdown": breakdown,
        "district_code": CODE3[d], "group_id": np.array(GROUP_IDS, dtype=object)[g],
        "expected_numerator": np.asarray(num, dtype=float), "denominator": np.asarray(den, float),
    }, schema_overrides={"district_code": pl.String, "breakdown": pl.String})


def chlamydia(ctx: Context):
    district = np.exp(ctx.rng("esr_chlamydia", "districts").normal(0, 0.15, len(CODE3)))
    prob = np.clip(district[:, None, None, None] * TEST_MIX[None, :, None, None]
                   * TEST_RATE[None, None, :, :], 0, 0.5)  # (d, g, band, sex)
    files, expected = [], {}
    for q in ctx.quarters:
        rng = ctx.rng("esr_chlamydia", q.label)
        pop = ctx.population(q.year)
        bands = np.stack([pop[:, :, 15:20].sum(axis=2), pop[:, :, 20:25].sum(axis=2)], axis=2)
        tested = rng.binomial(bands, prob)
        positive = rng.binomial(tested, POSITIVITY[None, :, None, None])
        d, g, b, s = np.indices(bands.shape).reshape(4, -1)
        files.append(write_csv(pl.DataFrame({
            "quarter": q.label, "dhb_code": CODE3[d],
            "age_group": np.array(["15-19", "20-24"], dtype=object)[b],
            "sex": np.where(s == 0, "M", "F").astype(object), "ethnic_group": GROUP_LABELS[g],
            "people_tested": tested.ravel().astype(np.int64),
            "people_positive": positive.ravel().astype(np.int64),
        }, schema_overrides={"dhb_code": pl.String}),
            ctx.out / "esr_chlamydia" / f"esr_chlamydia_{q.label}.csv"))
        expected[q] = (bands * prob).sum(axis=(2, 3))
    cells = []
    for w in rolling_windows(ctx.quarters):
        num = sum(expected[q] for q in w.quarters)
        den = ctx.population(w.population_year)[:, :, 15:25].sum(axis=(2, 3))
        d, g = np.indices(num.shape).reshape(2, -1)
        cells.append(_cells_frame(w.start, w.end, w.label, d, g, num.ravel(), den.ravel()))
    return files, [aggregate_truth("youth_chlamydia_testing", pl.concat(cells))]


def oral_health(ctx: Context):
    p = binomial_probability(ORAL_HEALTH, 0.2, ctx.rng("oral_health", "districts"), (len(CODE3), 4))
    files, cells = [], []
    for year in ctx.years:
        rng = ctx.rng("oral_health", year)
        pop = ctx.population(year)[:, :, 13:18].sum(axis=3)  # (d, g, age 13–17)
        examined = rng.binomial(pop, p[:, :, None])
        d, g, a = np.indices(pop.shape).reshape(3, -1)
        frame = pl.DataFrame({
            "year": np.full(d.size, year, dtype=np.int64), "dhb_code": CODE3[d],
            "age": (a + 13).astype(np.int64), "ethnic_group": GROUP_LABELS[g],
            "adolescents_examined": examined.ravel().astype(np.int64),
        }, schema_overrides={"dhb_code": pl.String, "ethnic_group": pl.String})
        files.append(write_xlsx({"utilisation": frame},
                                ctx.out / "oral_health" / f"oral_health_{year}.xlsx"))
        dd, gg = np.indices(p.shape).reshape(2, -1)
        total = pop.sum(axis=2)
        cells.append(_cells_frame(np.datetime64(f"{year}-01-01").item(),
                                  np.datetime64(f"{year}-12-31").item(), str(year), dd, gg,
                                  (total * p).ravel(), total.ravel()))
    return files, [aggregate_truth("youth_oral_health", pl.concat(cells))]


def youth_survey(ctx: Context):
    p = binomial_probability(SAFE_SUPPORTED, 0.2, ctx.rng("youth_survey", "districts"), (len(CODE3), 4))
    files, cells = [], []
    for year in ctx.years:
        rng = ctx.rng("youth_survey", year)
        pop = ctx.population(year)[:, :, 12:25].sum(axis=3)  # (d, g, age 12–24)
        n = rng.poisson(MARAMA_PER_YEAR * ctx.scale)
        cell = rng.choice(pop.size, n, p=(pop / pop.sum()).ravel())
        d, g, a = np.unravel_index(cell, pop.shape)
        positive = rng.random(n) < p[d, g]
        answer = np.where(positive, rng.choice([4, 5], n, p=[0.45, 0.55]),
                          rng.choice([1, 2, 3], n, p=[0.2, 0.3, 0.5])).astype(float)
        answered = rng.random(n) >= 0.05
        answer[~answered] = np.nan
        files.append(write_csv(pl.DataFrame({
            "respondent_id": [f"MR{year}-{i + 1:06d}" for i in range(n)],
            "survey_year": np.full(n, year, dtype=np.int64), "dhb_code": CODE3[d],
            "age": (a + 12).astype(np.int64), "ethnic_group": GROUP_LABELS[g],
            "service": np.array(SERVICES, dtype=object)[rng.choice(len(SERVICES), n)],
            "q_safe_supported": pl.Series(answer, nan_to_null=True).cast(pl.Int64),
        }, schema_overrides={"dhb_code": pl.String, "ethnic_group": pl.String}),
            ctx.out / "youth_survey" / f"marama_{year}.csv"))
        sel = answered
        cells.append(_cells_frame(np.datetime64(f"{year}-01-01").item(),
                                  np.datetime64(f"{year}-12-31").item(), str(year),
                                  d[sel], g[sel], p[d[sel], g[sel]], np.ones(sel.sum())))
    return files, [aggregate_truth("youth_experience", pl.concat(cells))]
