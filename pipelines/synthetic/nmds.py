"""NMDS-style hospital discharge events for one quarter (events belong to their discharge quarter).

Events are drawn stream by stream (see streams.py) as Poisson counts per district × group × age ×
sex cell; each stream has its own random generator, so output is reproducible per quarter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import diagnoses as dx
from . import facilities
from . import los as los_tables
from .calendar import Quarter
from .identity import birth_dates, encrypted_nhi, ethnic_code_columns, person_keys
from .model import Model
from .population import AGES
from .reference import districts
from .rng import rng_for
from .streams import ASH, BED_DAYS, SELF_HARM, Stream, expected_by_cell

COLUMNS = [
    "event_id", "nhi_encrypted", "date_of_birth", "sex", "ethnic_code_1", "ethnic_code_2",
    "ethnic_code_3", "domicile_code", "dhb_of_domicile", "facility_code", "dhb_of_service",
    "admission_date", "discharge_date", "event_type", "admission_source", "admission_type",
    "health_specialty", "principal_diagnosis", "other_diagnosis_1", "other_diagnosis_2",
    "other_diagnosis_3", "external_cause_code", "purchaser_code", "end_type",
]
MEASURES = (ASH, BED_DAYS, SELF_HARM)
SAFE_END_AFTER_TRANSFER = (("DR", 0.96), ("DW", 0.02), ("DD", 0.02))
# Age range of each measure's numerator (ages of the counting streams' events).
MEASURE_AGES = {ASH: (0, 4), BED_DAYS: (0, 90), SELF_HARM: (10, 24)}


@dataclass
class QuarterResult:
    events: pl.DataFrame  # exactly the file's columns
    labels: pl.DataFrame  # event_id, stream, decoy, counts_<measure>
    realised: dict[str, np.ndarray]  # measure -> (district, group) numerator actually planted


def _by_age(spec, ages: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(ages), dtype=object)
    bounds = [a for a, _ in spec] + [10_000]
    for (lo, pool), hi in zip(spec, bounds[1:], strict=True):
        sel = np.flatnonzero((ages >= lo) & (ages < hi))
        if len(sel):
            out[sel] = dx.draw(pool, len(sel), rng)
    return out


def _los(stream: Stream, ages: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    kinds = stream.los_kind_by_age()[ages]
    out = np.zeros(len(ages), dtype=np.int64)
    for kind in sorted(set(kinds)):
        sel = np.flatnonzero(kinds == kind)
        out[sel] = los_tables.draw(kind, len(sel), rng)
    return out


def _other_diagnoses(stream: Stream, ages: np.ndarray, rng: np.random.Generator):
    n = len(ages)
    p = np.where(ages < 15, 0.10, 0.25 + 0.5 * ages / 90)
    cols = []
    for i in range(3):
        has = rng.random(n) < p * (0.5**i)
        if i > 0:
            has &= cols[-1] != ""
        codes = _by_age(stream.comorbidity, ages, rng)
        cols.append(np.where(has, codes, ""))
    if stream.other_diagnosis_1 is not None:
        cols[0] = dx.draw(stream.other_diagnosis_1, n, rng)
    return cols


def _external_cause(stream: Stream, principal: np.ndarray, rng: np.random.Generator):
    n = len(principal)
    first = np.array([c[0] for c in principal], dtype=object) if n else principal
    if stream.external_cause == "self_harm":
        cause = dx.draw(dx.SELF_HARM_CAUSE, n, rng)
        return np.where(principal == "T510", "X65", cause)  # intentional alcohol poisoning
    if stream.external_cause == "alcohol":
        return np.where(principal == "T510", dx.draw(dx.ALCOHOL_CAUSE, n, rng), "")
    injury = (first == "S") | (first == "T")
    return np.where(injury, dx.draw(dx.INJURY_CAUSE, n, rng), "")


def _draw_stream(stream, lam, population, quarter, rng, seed):
    counts = rng.poisson(lam / 4.0)
    cells = np.repeat(np.arange(lam.size), counts.ravel())
    d, g, a, s = np.unravel_index(cells, lam.shape)
    n = len(cells)
    stay = _los(stream, a, rng)
    start = np.datetime64(quarter.start.isoformat(), "D")
    if stream.transfer:
        # The transfer-in stay must end in this quarter too: place the first discharge early enough.
        stay2 = los_tables.draw("transfer", n, rng)
        discharge = start + (rng.random(n) * (quarter.days - stay2)).astype("timedelta64[D]")
    else:
        discharge = start + rng.integers(0, quarter.days, n).astype("timedelta64[D]")
    admission = discharge - stay.astype("timedelta64[D]")
    if stream.birth == "birth":
        dob = admission.copy()
    elif stream.birth == "neonate":
        dob = admission - rng.integers(0, 28, n).astype("timedelta64[D]")
    else:
        dob = birth_dates(admission, a, rng)
    keys = person_keys(d, g, s, dob, population[d, g, a, s], rng)
    sex = np.where(s == 0, "M", "F").astype(object)
    if stream.unknown_sex_share:
        odd = rng.random(n) < stream.unknown_sex_share
        sex[odd] = np.where(rng.random(odd.sum()) < 0.8, "U", "I")
    principal = _by_age(stream.principal, a, rng)
    other = _other_diagnoses(stream, a, rng)
    if stream.private_facility:
        facility, service = facilities.private_facility(d)
    else:
        facility, service = facilities.public_facility(d, rng)
    end_type = dx.draw(stream.end_type, n, rng)
    if stream.transfer:
        end_type[:] = "DT"
    dist = districts()
    code3 = np.array([x.code3 for x in dist], dtype=object)
    code4 = np.array([x.code4 for x in dist], dtype=object)
    eth = ethnic_code_columns(g, keys, seed)
    cols = {
        "nhi_encrypted": encrypted_nhi(keys, seed),
        "date_of_birth": dob,
        "sex": sex,
        "ethnic_code_1": eth[0], "ethnic_code_2": eth[1], "ethnic_code_3": eth[2],
        "domicile_code": code4[d], "dhb_of_domicile": code3[d],
        "facility_code": facility, "dhb_of_service": code3[service],
        "admission_date": admission, "discharge_date": discharge,
        "event_type": np.full(n, stream.event_type, dtype=object),
        "admission_source": np.full(n, "R", dtype=object),
        "admission_type": dx.draw(stream.admission_type, n, rng),
        "health_specialty": _by_age(stream.specialty, a, rng),
        "principal_diagnosis": principal,
        "other_diagnosis_1": other[0], "other_diagnosis_2": other[1],
        "other_diagnosis_3": other[2],
        "external_cause_code": _external_cause(stream, principal, rng),
        "purchaser_code": dx.draw(stream.purchaser, n, rng),
        "end_type": end_type,
    }
    parts = [(cols, stream.name, stream.decoy, stream.counts, stay, d, g)]
    if stream.transfer:
        t_fac, t_service = facilities.transfer_facility(service)
        t_cols = dict(cols)
        t_cols.update({
            "facility_code": t_fac, "dhb_of_service": code3[t_service],
            "admission_date": discharge,
            "discharge_date": discharge + stay2.astype("timedelta64[D]"),
            "admission_source": np.full(n, "T", dtype=object),
            "admission_type": np.full(n, "AC", dtype=object),
            "end_type": dx.draw(SAFE_END_AFTER_TRANSFER, n, rng),
        })
        parts.append((t_cols, stream.name + ":transfer_in", stream.transfer_decoy,
                      stream.transfer_counts, stay2, d, g))
    return parts


def generate_quarter(m: Model, streams: list[Stream], population: np.ndarray, quarter: Quarter,
                     seed: int) -> QuarterResult:
    """All discharge events of `quarter`; `population` is that year's written (d, g, a, s) counts."""
    years = m.years_since_reference(quarter)
    parts = []
    for stream in streams:
        rng = rng_for(seed, "nmds_events", quarter.label, stream.name)
        lam = expected_by_cell(stream, m, population, years, quarter)
        parts.extend(_draw_stream(stream, lam, population, quarter, rng, seed))

    realised = {k: np.zeros((len(districts()), 4)) for k in MEASURES}
    for _, _, _, counts, stay, d, g in parts:
        for measure in counts:
            weight = stay if measure == BED_DAYS else np.ones(len(d))
            np.add.at(realised[measure], (d, g), weight)

    def cat(name):
        return np.concatenate([p[0][name] for p in parts])

    n_total = sum(len(p[5]) for p in parts)
    frame = pl.DataFrame({
        **{c: cat(c) for c in COLUMNS[1:] if c not in
           ("date_of_birth", "admission_date", "discharge_date")},
        "date_of_birth": cat("date_of_birth"),
        "admission_date": cat("admission_date"),
        "discharge_date": cat("discharge_date"),
        "_stream": np.concatenate([np.full(len(p[5]), p[1], dtype=object) for p in parts]),
        "_decoy": np.concatenate([np.full(len(p[5]), p[2] or "", dtype=object) for p in parts]),
        **{f"_counts_{k}": np.concatenate([np.full(len(p[5]), k in p[3]) for p in parts])
           for k in MEASURES},
        "_tiebreak": rng_for(seed, "nmds_events", quarter.label, "order").random(n_total),
    }, schema_overrides={c: pl.String for c in COLUMNS if c.endswith(("code", "_1", "_2", "_3"))})
    frame = frame.sort(["discharge_date", "admission_date", "_tiebreak"]).with_columns(
        (pl.lit(f"E{quarter.year}{quarter.q}")
         + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(8)).alias("event_id")
    )
    labels = frame.select(
        "event_id", pl.col("_stream").alias("stream"),
        pl.col("_decoy").replace("", None).alias("decoy"),
        *[pl.col(f"_counts_{k}").alias(f"counts_{k}") for k in MEASURES],
    )
    return QuarterResult(frame.select(COLUMNS), labels, realised)


def planted_rates(m: Model, streams: list[Stream], quarter: Quarter) -> dict[str, np.ndarray]:
    """measure -> (district, group, age, sex) planted numerator per person-year in `quarter`
    (events for counts, bed days for acute bed days), summed over the counting streams."""
    years = m.years_since_reference(quarter)
    ones = np.ones((len(districts()), 4, len(AGES), 2))
    out = {k: np.zeros_like(ones) for k in MEASURES}
    transfer_los = np.full(len(AGES), los_tables.mean("transfer"))
    for s in streams:
        lam = expected_by_cell(s, m, ones, years, quarter)
        for counts, mean_los in ((s.counts, s.mean_los_by_age()),
                                 (s.transfer_counts if s.transfer else frozenset(), transfer_los)):
            for measure in counts:
                out[measure] += lam * mean_los[None, None, :, None] if measure == BED_DAYS else lam
    return out


def expected_numerators(rates: dict[str, np.ndarray], population: np.ndarray):
    """measure -> (district, group) expected numerator of one quarter."""
    return {k: (r * population).sum(axis=(2, 3)) / 4.0 for k, r in rates.items()}
