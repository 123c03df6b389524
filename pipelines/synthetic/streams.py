"""The kinds of hospital events the NMDS generator plants ("streams").

Each stream is homogeneous for the measure rules: all its events either count towards a measure
or all do not (`counts`), so the expected numerator of each measure is an exact sum over streams.
Decoys (`decoy`) look like counting events but fail exactly one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import diagnoses as dx
from . import los
from .model import (
    BED_DAYS_TARGET,
    DISCHARGES_PER_QUARTER,
    Model,
    base_model,
    curve,
)
from .population import AGES, expected_population
from .presets import REFERENCE_YEAR

ASH = "ash_0_4"
BED_DAYS = "acute_bed_days"
SELF_HARM = "youth_self_harm"

PUBLIC = (("35", 0.93), ("34", 0.02), ("A0", 0.05))
PRIVATE = (("20", 1.0),)
ROUTINE_END = (("DR", 0.95), ("DS", 0.01), ("DW", 0.02), ("DD", 0.02))
SAFE_END = (("DR", 0.97), ("DS", 0.01), ("DW", 0.02))

AgePools = tuple[tuple[int, dx.Pool], ...]  # (minimum age, pool) in increasing age order


@dataclass(frozen=True)
class Stream:
    name: str
    rate: np.ndarray  # (district, group, age, sex) events per person-year at REFERENCE_YEAR
    principal: AgePools
    specialty: AgePools
    los: tuple[tuple[int, str], ...]  # (minimum age, los kind)
    event_type: str = "IP"
    admission_type: dx.Pool = (("AC", 1.0),)
    purchaser: dx.Pool = PUBLIC
    end_type: dx.Pool = ROUTINE_END
    counts: frozenset[str] = frozenset()
    decoy: str | None = None
    ash_trend: bool = False  # follows the planted ASH time trend
    other_diagnosis_1: dx.Pool | None = None  # forced first other diagnosis (decoys)
    comorbidity: AgePools = ((0, dx.CHILD_COMORBIDITY_NON_ASH), (15, dx.ADULT_COMORBIDITY))
    external_cause: str = "injury"  # injury | self_harm | alcohol
    birth: str | None = None  # "birth": born on admission day; "neonate": 0–27 days old
    private_facility: bool = False
    transfer: bool = False  # each event is followed by a transfer-in event of the same stay
    transfer_counts: frozenset[str] = frozenset()
    transfer_decoy: str | None = None
    unknown_sex_share: float = 0.0

    def los_kind_by_age(self) -> np.ndarray:
        kinds = np.empty(len(AGES), dtype=object)
        for min_age, kind in self.los:
            kinds[min_age <= AGES] = kind
        return kinds

    def mean_los_by_age(self) -> np.ndarray:
        return np.array([los.mean(k) for k in self.los_kind_by_age()])


def _rate(age, sex=(1.0, 1.0), group=(1.0, 1.0, 1.0, 1.0), district=None) -> np.ndarray:
    age = np.asarray(age, dtype=float)
    district = np.ones((20, 4)) if district is None else district
    return (
        district[:, :, None, None]
        * np.asarray(group, dtype=float)[None, :, None, None]
        * age[None, None, :, None]
        * np.asarray(sex, dtype=float)[None, None, None, :]
    )


def _ages(lo: int, hi: int) -> np.ndarray:
    return ((lo <= AGES) & (hi >= AGES)).astype(float)


def build_streams(m: Model) -> list[Stream]:
    bg = m.background_district
    ash = m.ash_rate_by_age()[:, :, :, None] * np.ones(2)  # (d, g, a, s)
    age0_4 = np.zeros(len(AGES))
    # Shares of a child's ASH admissions by age 0…4 that are dental or vaccine-preventable.
    dental = np.zeros(len(AGES))
    dental[:5] = [0.0, 0.04, 0.12, 0.18, 0.20]
    vpd = np.zeros(len(AGES))
    vpd[1:5] = 0.005
    mmr_age = np.zeros(len(AGES))
    mmr_age[2:5] = 1.0
    ssed, arranged, transfer = 0.15, 0.03, 0.03
    ward = 1.0 - ssed - arranged - transfer - dental - vpd
    age0_4[:5] = 1.0
    child_sp = ((0, (("P10", 1.0),)),)
    ash_pool = ((0, dx.ASH_0_4),)
    ash_common = dict(ash_trend=True, counts=frozenset({ASH}), specialty=child_sp, principal=ash_pool)
    acute_mix = (1.4, 1.5, 0.6, 1.0)
    elective_mix = (0.9, 0.9, 0.7, 1.0)

    acute_age = curve({0: 0.10, 1: 0.06, 5: 0.035, 15: 0.05, 25: 0.05, 45: 0.07, 65: 0.14,
                       75: 0.24, 85: 0.40, 90: 0.50})
    acute_rate = _rate(acute_age, (1.05, 0.95), m.acute_group * np.array(acute_mix), bg)
    acute_los = ((0, "child_acute"), (15, "adult_acute"), (70, "elderly_acute"))
    acute_pools = ((0, dx.CHILD_ACUTE_NON_ASH), (15, dx.ADULT_ACUTE))
    acute_sp = ((0, (("P10", 0.75), ("S00", 0.2), ("S40", 0.05))),
                (15, (("M00", 0.55), ("S00", 0.3), ("S40", 0.15))))
    ed_sp = ((0, (("M05", 0.85), ("M06", 0.05), ("M07", 0.05), ("M08", 0.05))),)
    ed_pools = ((0, dx.ED_SHORT_STAY_UNDER_5), (5, dx.ED_SHORT_STAY))
    ev = m.elective_volume
    female = (0.0, 1.0)
    fertility = curve({14: 0.0, 15: 0.01, 20: 0.06, 25: 0.10, 30: 0.12, 35: 0.07, 40: 0.02,
                       45: 0.003, 50: 0.0})
    fert_mix = (1.35, 1.5, 0.85, 0.85)
    births = np.zeros(len(AGES))
    births[0] = 1.0
    youth_self_harm = curve({9: 0.0, 10: 0.0005, 12: 0.002, 15: 0.0085, 18: 0.007, 24: 0.0045,
                             25: 0.0})
    adult_self_harm = curve({24: 0.0, 25: 0.003, 45: 0.0015, 65: 0.0005})
    self_harm_sex = (0.45, 1.6)  # about 78 % of youth self-harm admissions are female
    self_harm_mix = (1.4, 0.9, 0.5, 1.0)
    alcohol = curve({12: 0.0, 13: 0.0005, 16: 0.002, 20: 0.0025, 24: 0.0015, 25: 0.0})
    psych = curve({14: 0.0, 15: 0.004, 20: 0.006, 40: 0.004, 65: 0.002, 90: 0.002})
    psych_mix = (1.8, 1.3, 0.5, 1.0)
    harm_sp = ((0, (("P10", 1.0),)), (15, (("M00", 1.0),)))

    return [
        # --- ASH 0–4: the counting events (split so each part is homogeneous for bed days) ---
        Stream("ash_acute_ward", ash * ward[None, None, :, None], los=((0, "child_acute"),),
               **{**ash_common, "counts": frozenset({ASH, BED_DAYS})}),
        Stream("ash_short_stay_ed", ash * ssed, los=((0, "ssed"),),
               **{**ash_common, "specialty": ed_sp}),
        Stream("ash_arranged", ash * arranged, los=((0, "child_acute"),),
               admission_type=(("AA", 1.0),), **ash_common),
        Stream("ash_dental_elective", ash * (dental * 5 / 6)[None, None, :, None],
               los=((0, "same_day"),), event_type="ID",
               admission_type=(("WN", 0.85), ("AP", 0.15)),
               **{**ash_common, "specialty": ((0, (("S60", 1.0),)),),
                  "principal": ((0, dx.ASH_DENTAL),)}),
        Stream("ash_dental_acute", ash * (dental / 6)[None, None, :, None],
               los=((0, "child_acute"),),
               **{**ash_common, "counts": frozenset({ASH, BED_DAYS}),
                  "specialty": ((0, (("S60", 1.0),)),), "principal": ((0, dx.ASH_DENTAL),)}),
        Stream("ash_vaccine_preventable", ash * (vpd * (1 - mmr_age))[None, None, :, None],
               los=((0, "child_acute"),),
               **{**ash_common, "counts": frozenset({ASH, BED_DAYS}),
                  "principal": ((0, dx.VPD_OVER_6_MONTHS),)}),
        Stream("ash_mmr_over_15_months", ash * (vpd * mmr_age)[None, None, :, None],
               los=((0, "child_acute"),),
               **{**ash_common, "counts": frozenset({ASH, BED_DAYS}), "principal": ((0, dx.MMR),)}),
        Stream("ash_then_transfer", ash * transfer, los=((0, "child_acute"),), transfer=True,
               transfer_counts=frozenset({BED_DAYS}), transfer_decoy="ash_transfer_in",
               **{**ash_common, "counts": frozenset({ASH, BED_DAYS})}),
        # --- ASH decoys: each fails exactly one ASH rule ---
        Stream("decoy_ash_in_other_diagnosis", ash * 0.08, los=((0, "child_acute"),),
               principal=((0, dx.CHILD_ACUTE_NON_ASH),), specialty=child_sp,
               other_diagnosis_1=dx.ASH_0_4, counts=frozenset({BED_DAYS}),
               decoy="ash_code_in_other_diagnosis_only"),
        Stream("decoy_ash_age_5_9",
               m.ash_rate[:, :, None, None] * _ages(5, 9)[None, None, :, None] * np.ones(2) * 0.2,
               los=((0, "child_acute"),), principal=ash_pool, specialty=child_sp,
               counts=frozenset({BED_DAYS}), decoy="ash_age_5_9"),
        Stream("decoy_ash_condition_age_rule", ash * 0.10, los=((0, "child_acute"),),
               principal=((0, dx.ASH_NOT_UNDER_5),), specialty=child_sp,
               counts=frozenset({BED_DAYS}), decoy="ash_condition_age_rule"),
        Stream("decoy_mmr_under_15_months", ash * _ages(0, 0)[None, None, :, None] * 0.03,
               los=((0, "child_acute"),), principal=((0, dx.MMR),), specialty=child_sp,
               counts=frozenset({BED_DAYS}), decoy="mmr_under_15_months"),
        Stream("decoy_ash_elective_non_dental", ash * 0.06, los=((0, "same_day"),),
               event_type="ID", admission_type=(("WN", 1.0),),
               principal=((0, dx.ASH_ELECTIVE_NON_DENTAL),), specialty=((0, (("S30", 1.0),)),),
               decoy="ash_elective_non_dental"),
        Stream("decoy_ash_privately_funded", ash * 0.02, los=((0, "child_acute"),),
               principal=ash_pool, specialty=child_sp, purchaser=PRIVATE, private_facility=True,
               decoy="ash_privately_funded"),
        Stream("decoy_birth_event_ash_code", _rate(births, district=bg) * 0.02,
               los=((0, "maternity"),), event_type="BT", birth="birth",
               principal=((0, dx.ASH_LOOKING_NEWBORN),), specialty=child_sp, end_type=SAFE_END,
               decoy="birth_event_ash_code"),
        # --- general acute care (the bulk of acute bed days) ---
        Stream("acute_general", acute_rate * 0.96, los=acute_los, principal=acute_pools,
               specialty=acute_sp, counts=frozenset({BED_DAYS})),
        Stream("acute_then_transfer", acute_rate * 0.04, los=acute_los, principal=acute_pools,
               specialty=acute_sp, counts=frozenset({BED_DAYS}), transfer=True,
               transfer_counts=frozenset({BED_DAYS})),
        Stream("acute_day_case", acute_rate * 0.05, los=((0, "same_day"),), event_type="ID",
               principal=acute_pools, specialty=acute_sp, counts=frozenset({BED_DAYS})),
        Stream("acute_privately_funded", acute_rate * 0.01, los=acute_los, principal=acute_pools,
               specialty=acute_sp, purchaser=PRIVATE, private_facility=True),
        Stream("short_stay_ed", _rate(curve({0: 0.05, 5: 0.02, 15: 0.03, 45: 0.03, 75: 0.06,
                                             90: 0.08}), group=acute_mix, district=bg),
               los=((0, "ssed"),), principal=ed_pools, specialty=ed_sp, end_type=SAFE_END),
        Stream("ed_stay_two_days_plus", _rate(curve({0: 0.002, 15: 0.003, 75: 0.006}),
                                              group=acute_mix, district=bg),
               los=((0, "ed_long"),), principal=ed_pools, specialty=ed_sp,
               counts=frozenset({BED_DAYS})),
        # --- planned care ---
        Stream("arranged", _rate(curve({0: 0.005, 15: 0.008, 65: 0.02}) * ev, group=elective_mix,
                                 district=bg),
               los=((0, "elective"),), admission_type=(("AA", 1.0),),
               principal=((0, dx.CHILD_ELECTIVE_NON_ASH), (15, dx.ELECTIVE)),
               specialty=((0, (("S00", 1.0),)), (15, (("M00", 0.4), ("S00", 0.6)))),
               end_type=SAFE_END),
        Stream("elective_inpatient", _rate(curve({0: 0.004, 15: 0.01, 45: 0.025, 65: 0.05,
                                                  80: 0.04, 90: 0.02}) * ev,
                                           group=elective_mix, district=bg),
               los=((0, "elective"),), admission_type=(("WN", 0.85), ("AP", 0.15)),
               principal=((0, dx.CHILD_ELECTIVE_NON_ASH), (15, dx.ELECTIVE)),
               specialty=((0, (("S00", 0.7), ("S40", 0.3))),), end_type=SAFE_END),
        Stream("elective_day_case", _rate(curve({0: 0.004, 15: 0.015, 45: 0.04, 65: 0.08,
                                                 80: 0.06, 90: 0.03}) * ev,
                                          group=elective_mix, district=bg),
               los=((0, "same_day"),), event_type="ID", admission_type=(("WN", 1.0),),
               principal=((0, dx.CHILD_ELECTIVE_NON_ASH), (15, dx.ELECTIVE)),
               specialty=((0, (("S00", 0.6), ("M00", 0.4))),), end_type=SAFE_END,
               unknown_sex_share=0.002),
        Stream("elective_private", _rate(curve({15: 0.0, 20: 0.005, 45: 0.01, 65: 0.02,
                                                90: 0.005}) * ev, group=elective_mix, district=bg),
               los=((0, "elective"),), admission_type=(("AP", 1.0),), purchaser=PRIVATE,
               private_facility=True, principal=((0, dx.ELECTIVE),),
               specialty=((0, (("S00", 0.7), ("S40", 0.3))),), end_type=SAFE_END),
        # --- maternity, births and neonates ---
        Stream("maternity_delivery", _rate(fertility, female, fert_mix, bg),
               los=((0, "maternity"),), principal=((0, dx.MATERNITY_DELIVERY),),
               specialty=((0, (("W00", 1.0),)),), end_type=SAFE_END),
        Stream("maternity_antenatal", _rate(fertility * 0.3, female, fert_mix, bg),
               los=((0, "ssed"),), principal=((0, dx.MATERNITY_ANTENATAL),),
               specialty=((0, (("W00", 1.0),)),), end_type=SAFE_END),
        Stream("birth_event", _rate(births, district=bg) * 0.98,
               los=((0, "maternity"),), event_type="BT", birth="birth",
               principal=((0, dx.BIRTH),), specialty=child_sp, end_type=SAFE_END),
        Stream("neonatal", _rate(births * 0.08, district=bg), birth="neonate",
               los=((0, "neonatal"),), principal=((0, dx.NEONATAL),),
               specialty=((0, (("P60", 1.0),)),), end_type=SAFE_END),
        # --- mental health ---
        Stream("psychiatric", _rate(psych, group=psych_mix, district=bg), los=((0, "psych"),),
               principal=((0, dx.PSYCH),), specialty=((0, (("Y00", 1.0),)),),
               counts=frozenset({BED_DAYS}), end_type=SAFE_END),
        Stream("psychiatric_return_from_leave", _rate(psych * 0.3, group=psych_mix, district=bg),
               los=((0, "psych_leave"),), admission_type=(("RL", 1.0),),
               principal=((0, dx.PSYCH),), specialty=((0, (("Y00", 1.0),)),), end_type=SAFE_END),
        # --- self-harm and alcohol ---
        Stream("self_harm_youth", _rate(youth_self_harm * 0.7, self_harm_sex, self_harm_mix, bg),
               los=((0, "child_acute"), (15, "adult_acute")),
               principal=((0, dx.SELF_HARM_PRINCIPAL),), specialty=harm_sp,
               external_cause="self_harm", counts=frozenset({SELF_HARM, BED_DAYS})),
        Stream("self_harm_youth_short_stay_ed",
               _rate(youth_self_harm * 0.25, self_harm_sex, self_harm_mix, bg),
               los=((0, "ssed"),), principal=((0, dx.SELF_HARM_PRINCIPAL),), specialty=ed_sp,
               external_cause="self_harm", counts=frozenset({SELF_HARM}), end_type=SAFE_END),
        Stream("self_harm_youth_then_transfer",
               _rate(youth_self_harm * 0.05, self_harm_sex, self_harm_mix, bg),
               los=((0, "child_acute"), (15, "adult_acute")), transfer=True,
               principal=((0, dx.SELF_HARM_PRINCIPAL),), specialty=harm_sp,
               external_cause="self_harm", counts=frozenset({SELF_HARM, BED_DAYS}),
               transfer_counts=frozenset({BED_DAYS}), transfer_decoy="self_harm_transfer_in"),
        Stream("self_harm_adult", _rate(adult_self_harm, self_harm_sex, self_harm_mix, bg),
               los=((0, "adult_acute"),), principal=((0, dx.SELF_HARM_PRINCIPAL),),
               specialty=harm_sp, external_cause="self_harm", counts=frozenset({BED_DAYS}),
               decoy="self_harm_age_25_plus"),
        Stream("alcohol_youth", _rate(alcohol, (1.3, 0.7), acute_mix, bg),
               los=((0, "ssed"),), principal=((0, dx.ALCOHOL_PRINCIPAL),), specialty=ed_sp,
               external_cause="alcohol", end_type=SAFE_END),
    ]


def expected_by_cell(stream: Stream, m: Model, population: np.ndarray, years: float,
                     quarter=None) -> np.ndarray:
    """Expected events per year in each cell, shape (district, group, age, sex). Planted
    changes (m.plants, opt-in) apply to the streams counting their measure, given the quarter."""
    lam = stream.rate * population
    if stream.ash_trend:
        lam = lam * ((1.0 + m.ash_trend) ** years)[:, None, None, None]
        if m.ash_change is not None:
            start = m.years_since_reference(m.ash_change.from_quarter)
            lam = lam * m.ash_change.group_multiplier(stream.name, years, start)[None, :, None, None]
    if quarter is not None:
        for plant in m.plants:
            if plant.measure_id in stream.counts:
                lam = lam * plant.factor(quarter)[:, :, None, None]
    return lam


def calibrated_model(seed: int) -> Model:
    """Solve the acute group multipliers for the bed-day targets and the elective volume for
    the national discharge count, at REFERENCE_YEAR's expected national population."""
    m = base_model(seed)
    pop = expected_population(REFERENCE_YEAR, 1.0)
    flat = replace(m, acute_group=np.ones(4))
    general = {"acute_general", "acute_then_transfer", "acute_day_case"}
    fixed = np.zeros(4)
    scalable = np.zeros(4)
    for s in build_streams(flat):
        lam = expected_by_cell(s, flat, pop, 0.0)
        for measure_counts, mean_los in ((s.counts, s.mean_los_by_age()),
                                         (s.transfer_counts, np.full(len(AGES), los.mean("transfer")))):
            if BED_DAYS not in measure_counts:
                continue
            bed_days = (lam * mean_los[None, None, :, None]).sum(axis=(0, 2, 3))
            if s.name in general:
                scalable += bed_days
            else:
                fixed += bed_days
    target = BED_DAYS_TARGET * pop.sum(axis=(0, 2, 3))
    m = replace(m, acute_group=(target - fixed) / scalable)
    planned = {"arranged", "elective_inpatient", "elective_day_case", "elective_private"}
    per_quarter = {True: 0.0, False: 0.0}
    for s in build_streams(m):
        n = expected_by_cell(s, m, pop, 0.0).sum() / 4 * (2 if s.transfer else 1)
        per_quarter[s.name in planned] += n
    volume = (DISCHARGES_PER_QUARTER - per_quarter[False]) / per_quarter[True]
    return replace(m, elective_volume=volume)
