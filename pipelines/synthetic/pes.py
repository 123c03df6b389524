"""Patient experience survey returns (inpatient CSV, primary care Parquet), one file per quarter.

Answers are drawn so that every evaluative answer of a respondent in district d and group g has
expected score μ(survey, domain, d, g) (a binomial over the item's evenly spaced scores);
non-evaluative answers and skipped items are independent of the score. So the expected weighted
mean domain score of any set of respondents is Σ w·μ / Σ w over those with a domain score.
"""

from __future__ import annotations

import csv
from functools import cache

import numpy as np
import polars as pl

from .calendar import rolling_windows
from .context import Context
from .people import CODE3, GROUP_LABELS
from .reference import GROUP_IDS, REFERENCE_DIR
from .truth import aggregate_truth
from .writers import write_csv, write_parquet

DOMAINS = ("communication", "partnership", "coordination", "physical_emotional_needs")
DOMAIN_MEAN = {  # national European/Other means out of 10 (HQSC 2019 inpatient ≈ 8.3–8.6)
    "inpatient": (8.4, 8.5, 8.4, 8.7),
    "primary_care": (8.7, 8.4, 8.3, 8.5),
}
GROUP_OFFSET = np.array([-0.25, -0.2, -0.3, 0.0])
DISTRICT_SD = 0.15
RESPONDENTS_PER_QUARTER = {"inpatient": 1_800, "primary_care": 25_000}
SKIP, NON_EVALUATIVE = 0.04, 0.06
AGE_GROUPS = ("15-24", "25-44", "45-64", "65-74", "75+")
AGE_MIX = {"inpatient": (0.08, 0.22, 0.3, 0.2, 0.2), "primary_care": (0.1, 0.3, 0.33, 0.15, 0.12)}
RESPONSE_MIX = np.array([0.6, 0.6, 0.9, 1.1])  # Māori and Pacific under-respond; weights correct


@cache
def items(survey: str) -> list[dict]:
    """Per item: domain, evaluative answer codes best-first, non-evaluative codes."""
    with open(REFERENCE_DIR / "pes_items.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["survey"] == survey]
    out = {}
    for r in rows:
        it = out.setdefault(r["item"], {"item": r["item"], "domain": r["domain"],
                                        "scored": [], "unscored": []})
        if r["score"] == "":
            it["unscored"].append(int(r["answer_code"]))
        else:
            it["scored"].append((float(r["score"]), int(r["answer_code"])))
    for it in out.values():
        it["scored"].sort(reverse=True)
    return [out[k] for k in sorted(out)]


def domain_means(ctx: Context, survey: str) -> np.ndarray:
    """(district, group, domain) planted expected score."""
    rng = ctx.rng("pes", survey, "means")
    district = rng.normal(0.0, DISTRICT_SD, (len(CODE3), 1, len(DOMAINS)))
    base = np.array(DOMAIN_MEAN[survey])[None, None, :]
    return np.clip(base + GROUP_OFFSET[None, :, None] + district, 5.0, 9.8)


def _respondents(ctx: Context, survey: str, q, mu: np.ndarray):
    rng = ctx.rng("pes", survey, q.label)
    pop = ctx.population(q.year)[:, :, 15:, :].sum(axis=(2, 3))  # adults by district × group
    share = (pop * RESPONSE_MIX).ravel()
    n = rng.poisson(RESPONDENTS_PER_QUARTER[survey] * ctx.scale)
    cell = rng.choice(share.size, n, p=share / share.sum())
    d, g = np.unravel_index(cell, pop.shape)
    weight = np.round(np.exp(rng.normal(0.0, 0.3, n)) / RESPONSE_MIX[g], 4)
    cols: dict[str, np.ndarray] = {}
    has_domain = np.zeros((n, len(DOMAINS)), dtype=bool)
    for it in items(survey):
        k = DOMAINS.index(it["domain"])
        scored = it["scored"]
        step = rng.binomial(len(scored) - 1, mu[d, g, k] / 10.0)  # successes = steps up from worst
        code = np.array([c for _, c in scored])[len(scored) - 1 - step].astype(float)
        if it["unscored"]:
            unscored = rng.random(n) < NON_EVALUATIVE
            code[unscored] = rng.choice(it["unscored"], unscored.sum())
        else:
            unscored = np.zeros(n, dtype=bool)
        skipped = rng.random(n) < SKIP
        code[skipped] = np.nan
        has_domain[:, k] |= ~(skipped | unscored)
        cols[it["item"]] = code
    frame = pl.DataFrame({
        "respondent_id": [f"{'IP' if survey == 'inpatient' else 'PC'}{q.label}-{i + 1:06d}"
                          for i in range(n)],
        "survey": survey, "survey_quarter": q.label,
        "dhb_code": CODE3[d], "ethnic_group": GROUP_LABELS[g],
        "age_group": np.array(AGE_GROUPS, dtype=object)[
            rng.choice(len(AGE_GROUPS), n, p=AGE_MIX[survey])],
        "sex": np.where(rng.random(n) < 0.55, "F", "M").astype(object),
        "weight": weight,
        **{k: pl.Series(v, nan_to_null=True).cast(pl.Int32) for k, v in cols.items()},
    }, schema_overrides={"dhb_code": pl.String, "ethnic_group": pl.String})
    return frame, d, g, weight, has_domain


def generate(ctx: Context, survey: str):
    mu = domain_means(ctx, survey)
    files, cells = [], []
    for q in ctx.quarters:
        frame, d, g, w, has = _respondents(ctx, survey, q, mu)
        name = f"pes_{survey}_{q.label}"
        if survey == "inpatient":
            files.append(write_csv(frame, ctx.out / "pes_inpatient" / f"{name}.csv"))
        else:
            files.append(write_parquet(frame, ctx.out / "pes_primary_care" / f"{name}.parquet"))
        for k, domain in enumerate(DOMAINS):
            sel = has[:, k]
            # Summed per cell at once (numpy, fixed order): memory stays bounded, bits reproducible.
            num = np.zeros(mu.shape[:2])
            den = np.zeros(mu.shape[:2])
            np.add.at(num, (d[sel], g[sel]), w[sel] * mu[d[sel], g[sel], k])
            np.add.at(den, (d[sel], g[sel]), w[sel])
            dd, gg = np.indices(num.shape).reshape(2, -1)
            cells.append(pl.DataFrame({
                "quarter": q.label, "district_code": CODE3[dd],
                "group_id": np.array(GROUP_IDS, dtype=object)[gg],
                "breakdown": f"{survey}:{domain}",
                "expected_numerator": num.ravel(), "denominator": den.ravel(),
            }, schema_overrides={"district_code": pl.String}))
    cells_df = pl.concat(cells)
    windows = []
    for win in rolling_windows(ctx.quarters):
        labels = [x.label for x in win.quarters]
        windows.append(cells_df.filter(pl.col("quarter").is_in(labels)).with_columns(
            period_start=pl.lit(win.start), period_end=pl.lit(win.end),
            period_label=pl.lit(win.label)).drop("quarter"))
    return files, [aggregate_truth("patient_experience", pl.concat(windows))]
