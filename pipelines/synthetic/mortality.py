"""Mortality Collection: one row per death, one file per registration year.

Deaths are Poisson per district × group × age × sex × death year; registration follows after
0–3 years. Amenable deaths (ages 0–74, codes and age/sex rules of
reference/code_lists/amenable_mortality_v1.csv) are planted with Māori ≈ 2.5 × nMnP; decoys carry
amenable codes but fail a rule (age 75+, ALL over 44, male breast cancer) or use a near-miss code.
"""

from __future__ import annotations

import csv
from functools import cache

import numpy as np
import polars as pl

from . import diagnoses as dx
from .context import Context, draw_cells
from .people import CODE3, CODE4, person_columns
from .population import AGES
from .reference import REFERENCE_DIR, districts
from .truth import GROUP_SETS, NATIONAL, TRUTH_COLUMNS, TRUTH_SCHEMA, measure_definition
from .writers import write_csv

REGISTRATION_LAG = np.array([0.15, 0.45, 0.30, 0.10])  # P(registered 0, 1, 2, 3 years after death)
MIN_REGISTRATION_YEARS = 7  # enough files for at least one complete 5-year window

# Deaths per person-year: Gompertz for adults plus infant mortality (half amenable under 75).
_ALL_CAUSE = 3.0e-5 * np.exp(0.09 * AGES) + np.where(AGES == 0, 0.004, 0.0)
AMENABLE_MIX = np.array([2.5, 2.1, 0.8, 1.0])
OTHER_MIX = np.array([1.5, 1.3, 0.7, 1.0])

INFANT_AMENABLE = (("P072", 0.35), ("P220", 0.25), ("P369", 0.15), ("P010", 0.1), ("Q210", 0.15))
YOUNG_AMENABLE = (("C910", 0.1), ("J459", 0.1), ("A39", 0.05), ("E109", 0.1), ("I219", 0.15),
                  ("I619", 0.1), ("C819", 0.05), ("C439", 0.1), ("I260", 0.1), ("C629", 0.05),
                  ("Q210", 0.05), ("O95", 0.05))
ADULT_AMENABLE = (("I219", 0.22), ("I251", 0.1), ("I639", 0.06), ("I619", 0.04), ("C509", 0.08),
                  ("E119", 0.06), ("J449", 0.08), ("C61", 0.03), ("C169", 0.03), ("C20", 0.05),
                  ("C439", 0.04), ("I500", 0.02), ("I119", 0.03), ("I350", 0.02), ("I260", 0.02),
                  ("J459", 0.01), ("C539", 0.01), ("C73", 0.005), ("K259", 0.01), ("A162", 0.005),
                  ("C419", 0.005), ("C819", 0.005))
OTHER_CAUSES = (("C349", 0.15), ("C189", 0.06), ("C259", 0.05), ("G309", 0.08), ("F03", 0.08),
                ("J189", 0.06), ("I719", 0.03), ("K703", 0.02), ("C719", 0.03), ("X70", 0.03),
                ("V892", 0.02), ("W19", 0.04), ("N189", 0.04), ("C859", 0.04), ("R99", 0.02),
                ("C64", 0.03), ("I48", 0.04), ("A419", 0.04), ("C229", 0.04), ("E86", 0.04))
INFANT_OTHER = (("R95", 0.5), ("Q249", 0.3), ("W75", 0.2))


@cache
def amenable_codes() -> dict[str, dict]:
    with open(REFERENCE_DIR / "code_lists/amenable_mortality_v1.csv", encoding="utf-8") as f:
        return {r["icd10am_code"]: r for r in csv.DictReader(f) if r["icd10am_code"]}


def is_amenable(code: str, age: int, sex: str) -> bool:
    """The default rule: 4-char entries match exactly, 3-char entries as prefixes."""
    entry = amenable_codes().get(code) or amenable_codes().get(code[:3])
    if entry is None or (len(entry["icd10am_code"]) == 4 and entry["icd10am_code"] != code):
        return False
    return (int(entry["age_min"]) <= age <= int(entry["age_max"])
            and (not entry["sex"] or entry["sex"] == sex))


def _cause(a: np.ndarray, s: np.ndarray, counting: bool, rng) -> np.ndarray:
    """Amenable causes that satisfy every rule (counting) or ordinary non-amenable causes."""
    out = np.empty(len(a), dtype=object)
    pools = ((a == 0, INFANT_AMENABLE if counting else INFANT_OTHER),
             ((a >= 1) & (a < 45), YOUNG_AMENABLE if counting else OTHER_CAUSES),
             (a >= 45, ADULT_AMENABLE if counting else OTHER_CAUSES))
    for sel, pool in pools:
        idx = np.flatnonzero(sel)
        out[idx] = dx.draw(pool, len(idx), rng)
    if counting:  # redraw the rare codes whose sex or age rule the person fails
        for _ in range(50):
            bad = np.array([not is_amenable(c, int(x), "M" if y == 0 else "F")
                            for c, x, y in zip(out, a, s, strict=True)], dtype=bool)
            if not bad.any():
                break
            idx = np.flatnonzero(bad)
            out[idx] = _cause(a[idx], s[idx], True, rng)
    return out


def _rates() -> dict[str, np.ndarray]:
    """(group, age) deaths per person-year of each stream; age 90 = 90+."""
    under75 = AGES < 75
    base = 0.5 * _ALL_CAUSE
    return {
        "amenable": AMENABLE_MIX[:, None] * np.where(under75, base, 0.0),
        "other": OTHER_MIX[:, None] * np.where(under75, base, 2 * base),
        # decoys: an amenable code that fails one rule
        "amenable_code_age_75_plus": OTHER_MIX[:, None] * np.where(~under75, 0.3 * base, 0.0),
        "all_leukaemia_over_44": np.ones((4, 1)) * np.where((AGES >= 45) & under75, 2e-6, 0.0),
        "breast_cancer_male": np.ones((4, 1)) * np.where((AGES >= 40) & under75, 4e-6, 0.0),
    }


DECOY_CODES = {"amenable_code_age_75_plus": (("I219", 0.5), ("C509", 0.2), ("J449", 0.3)),
               "all_leukaemia_over_44": (("C910", 1.0),), "breast_cancer_male": (("C509", 1.0),)}


def registration_years(ctx: Context) -> list[int]:
    end = ctx.quarters[-1].year
    n = max(len(ctx.years), MIN_REGISTRATION_YEARS)
    return list(range(end - n + 1, end + 1))


def generate(ctx: Context):
    reg_years = registration_years(ctx)
    first, end = reg_years[0], reg_years[-1]
    death_years = list(range(first - len(REGISTRATION_LAG) + 1, end + 1))
    rates = _rates()
    by_reg: dict[int, list[pl.DataFrame]] = {y: [] for y in reg_years}
    for y in death_years:
        pop = ctx.population(y)
        for stream, rate in rates.items():
            rng = ctx.rng("mortality", y, stream)
            d, g, a, s = draw_cells(pop * rate[None, :, :, None], rng)
            n = len(d)
            start = np.datetime64(f"{y}-01-01", "D")
            days = 366 if (y % 4 == 0 and (y % 100 or y % 400 == 0)) else 365
            death = start + rng.integers(0, days, n).astype("timedelta64[D]")
            age = np.where(a == 90, 90 + rng.geometric(0.3, n) - 1, a)
            dob_proxy = death - (age * 365.25).astype("timedelta64[D]")
            lag = rng.choice(len(REGISTRATION_LAG), n, p=REGISTRATION_LAG)
            if stream in DECOY_CODES:
                cause = dx.draw(DECOY_CODES[stream], n, rng)
                s = np.where(stream == "breast_cancer_male", 0, s)
            else:
                cause = _cause(a, s, stream == "amenable", rng)
            who = person_columns(d, g, s, dob_proxy, pop[d, g, a, s], rng, ctx.seed, distinct=True)
            frame = pl.DataFrame({
                "nhi_encrypted": who["nhi_encrypted"], "sex": who["sex"],
                "ethnic_code_1": who["ethnic_code_1"], "ethnic_code_2": who["ethnic_code_2"],
                "ethnic_code_3": who["ethnic_code_3"], "domicile_code": CODE4[d],
                "dhb_of_domicile": CODE3[d], "date_of_death": death,
                "age_at_death": age.astype(np.int32), "registration_year": (y + lag).astype(np.int32),
                "underlying_cause": cause, "_tiebreak": rng.random(n),
            })
            for r in reg_years:
                part = frame.filter(pl.col("registration_year") == r)
                if part.height:
                    by_reg[r].append(part)
    files = []
    for r in reg_years:
        df = pl.concat(by_reg[r]).sort("date_of_death", "_tiebreak").drop("_tiebreak")
        df = df.with_columns(
            (pl.lit(f"D{r}") + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(7))
            .alias("death_id")).select("death_id", *[c for c in df.columns])
        files.append(write_csv(df, ctx.out / "mortality" / f"mortality_{r}.csv"))
    return files, [_truth(ctx, reg_years, rates["amenable"])]


def _truth(ctx: Context, reg_years: list[int], amenable: np.ndarray) -> pl.DataFrame:
    """Expected directly standardised rate (WHO 2000–2025, 0–74, weights renormalised) of the
    deaths that the written files hold: deaths registered after the last file year are missing."""
    spec = measure_definition("amenable_mortality")
    weights = _who_weights()
    first, end = reg_years[0], reg_years[-1]
    lag_years = int(spec["registration_lag_years"])
    window = int(spec["window_years"])
    band = np.minimum(AGES // 5, 18)
    rows = []
    for last in range(first + window - 1, end - lag_years + 1):
        years = range(last - window + 1, last + 1)
        deaths = np.zeros((len(districts()), 4, 15))
        person_years = np.zeros_like(deaths)
        for y in years:
            pop = ctx.population(y).sum(axis=3)  # (d, g, a)
            complete = REGISTRATION_LAG[: end - y + 1].sum()
            for b in range(15):
                sel = band == b
                deaths[:, :, b] += (pop[:, :, sel] * amenable[None, :, sel]).sum(axis=2) * complete
                person_years[:, :, b] += pop[:, :, sel].sum(axis=2)
        for district_code, dsel in [(NATIONAL, slice(None)),
                                    *[(c, [i]) for i, c in enumerate(CODE3)]]:
            for group_id, groups in GROUP_SETS.items():
                e = deaths[dsel][:, groups].sum(axis=(0, 1))
                p = person_years[dsel][:, groups].sum(axis=(0, 1))
                rate = np.divide(e, p, out=np.zeros_like(e), where=p > 0)
                dsr = (weights * rate).sum() / weights.sum() * float(spec["multiplier"])
                rows.append(("amenable_mortality", district_code, group_id,
                             np.datetime64(f"{years[0]}-01-01").item(),
                             np.datetime64(f"{last}-12-31").item(),
                             f"5 years to {last}", float(e.sum()), float(p.sum()), float(dsr),
                             float(spec["multiplier"]), spec["definition_version"], None))
    return pl.DataFrame(rows, schema=TRUTH_SCHEMA, orient="row").select(TRUTH_COLUMNS)


def _who_weights() -> np.ndarray:
    with open(REFERENCE_DIR / "standard_population.csv", encoding="utf-8") as f:
        # Rows of other standards only (e.g. ESP 2013's 90+) have no WHO value.
        w = {r["age_group"]: float(r["who_2000_2025_pct"]) for r in csv.DictReader(f) if r["who_2000_2025_pct"]}
    return np.array([w[f"{lo}-{lo + 4}"] for lo in range(0, 75, 5)])
