"""ICD-10-AM code pools (no dot; letter + 2–3 digits) for each kind of hospital event.

Pools marked "non-ASH" are checked (tests) to match no entry of the ASH code list, so that the only
0–4 ASH-coded events in a file are the ones the generator planted on purpose.
"""

from __future__ import annotations

import numpy as np

Pool = tuple[tuple[str, float], ...]

# Counting ASH events for 0–4 year olds (every code's condition age rule holds at ages 0–4).
ASH_0_4: Pool = (
    ("J459", 0.08), ("J450", 0.02), ("J46", 0.01), ("R062", 0.10),
    ("J069", 0.07), ("J00", 0.02), ("J029", 0.02), ("J039", 0.02), ("J040", 0.01),
    ("H669", 0.04), ("H650", 0.01), ("J189", 0.06), ("J181", 0.01), ("J159", 0.01),
    ("J22", 0.05), ("A099", 0.08), ("A080", 0.04), ("A084", 0.03), ("R11", 0.03),
    ("K529", 0.02), ("A049", 0.005), ("A029", 0.002), ("L039", 0.02), ("L031", 0.015),
    ("L022", 0.01), ("L010", 0.01), ("L080", 0.005), ("H000", 0.002), ("H010", 0.001),
    ("J340", 0.001), ("L980", 0.001), ("L209", 0.02), ("L22", 0.003), ("L309", 0.005),
    ("L239", 0.002), ("K590", 0.02), ("K219", 0.01), ("D509", 0.003), ("E559", 0.001),
    ("I00", 0.0005),
)
ASH_DENTAL: Pool = (("K021", 0.5), ("K029", 0.25), ("K040", 0.1), ("K047", 0.1), ("K051", 0.05))
# Vaccine-preventable: MMR codes (15 months–14 years) only at ages 2–4, the others (6 months+) 1–4.
VPD_OVER_6_MONTHS: Pool = (("A379", 0.6), ("A403", 0.2), ("B169", 0.2))
MMR: Pool = (("B059", 0.5), ("B269", 0.35), ("B069", 0.15))
# ASH codes whose condition age rule excludes 0–4 year olds (15+ or 5+ conditions).
ASH_NOT_UNDER_5: Pool = (("R560", 0.6), ("N390", 0.35), ("N10", 0.05))
ASH_ELECTIVE_NON_DENTAL: Pool = (("H650", 0.3), ("H659", 0.2), ("H669", 0.2), ("J030", 0.3))
ASH_LOOKING_NEWBORN: Pool = (("R11", 0.3), ("L22", 0.3), ("K219", 0.3), ("R062", 0.1))

# Non-ASH acute conditions of young children (bronchiolitis and croup are not on the ASH list).
CHILD_ACUTE_NON_ASH: Pool = (
    ("J219", 0.15), ("J210", 0.05), ("J050", 0.08), ("R509", 0.10), ("B349", 0.08),
    ("R104", 0.04), ("S060", 0.04), ("S099", 0.03), ("T181", 0.02), ("K359", 0.01),
    ("R628", 0.02), ("S525", 0.02), ("A419", 0.01), ("R05", 0.02), ("Z038", 0.03),
    ("T171", 0.01), ("G009", 0.005), ("R51", 0.01),
)
CHILD_COMORBIDITY_NON_ASH: Pool = (("R628", 0.4), ("Z292", 0.2), ("Q210", 0.2), ("E86", 0.2))
CHILD_ELECTIVE_NON_ASH: Pool = (("Q539", 0.3), ("K409", 0.3), ("Q381", 0.2), ("N47", 0.2))
NEONATAL: Pool = (("P071", 0.25), ("P220", 0.2), ("P599", 0.3), ("P369", 0.1), ("P703", 0.15))
BIRTH: Pool = (("Z380", 0.9), ("Z383", 0.05), ("Z381", 0.05))

ADULT_ACUTE: Pool = (
    ("I214", 0.05), ("I500", 0.05), ("J189", 0.06), ("J441", 0.05), ("N390", 0.04),
    ("L031", 0.04), ("R074", 0.05), ("K359", 0.03), ("S720", 0.03), ("I639", 0.03),
    ("A099", 0.03), ("K802", 0.03), ("R104", 0.06), ("T784", 0.01), ("J459", 0.02),
    ("E119", 0.02), ("I480", 0.04), ("N179", 0.02), ("K297", 0.02), ("S822", 0.02),
    ("S424", 0.02), ("R55", 0.03), ("K566", 0.02), ("A419", 0.02),
    ("G409", 0.02), ("R560", 0.01), ("I260", 0.01), ("C349", 0.02), ("D649", 0.02),
)
ED_SHORT_STAY: Pool = (
    ("R074", 0.15), ("R104", 0.15), ("S099", 0.08), ("T784", 0.05), ("R55", 0.07),
    ("S610", 0.05), ("R51", 0.05), ("N23", 0.05), ("J069", 0.05), ("R42", 0.05),
    ("T141", 0.05), ("S934", 0.05), ("R509", 0.05), ("J219", 0.05), ("J050", 0.05),
)
ED_SHORT_STAY_UNDER_5: Pool = (
    ("J219", 0.2), ("J050", 0.2), ("R509", 0.2), ("S099", 0.15), ("T181", 0.1), ("B349", 0.15),
)
ELECTIVE: Pool = (
    ("K802", 0.1), ("M170", 0.08), ("M161", 0.06), ("H251", 0.1), ("N40", 0.04),
    ("C509", 0.04), ("C61", 0.03), ("K409", 0.06), ("Z511", 0.1), ("Z491", 0.08),
    ("D251", 0.03), ("K635", 0.05), ("M232", 0.05), ("N201", 0.04),
    ("K429", 0.04), ("G560", 0.05), ("I839", 0.05),
)
MATERNITY_DELIVERY: Pool = (("O800", 0.55), ("O820", 0.15), ("O821", 0.15), ("O702", 0.1), ("O992", 0.05))
MATERNITY_ANTENATAL: Pool = (("O479", 0.4), ("O210", 0.2), ("O200", 0.2), ("O234", 0.2))
PSYCH: Pool = (("F209", 0.3), ("F319", 0.2), ("F329", 0.2), ("F432", 0.15), ("F250", 0.15))
# Self-harm: injury/poisoning principal diagnosis (S00–T98) with an X60–X84 external cause.
SELF_HARM_PRINCIPAL: Pool = (("T391", 0.3), ("T424", 0.15), ("T432", 0.15), ("S518", 0.2),
                             ("T71", 0.05), ("S610", 0.1), ("T510", 0.05))
SELF_HARM_CAUSE: Pool = (("X61", 0.3), ("X60", 0.2), ("X62", 0.1), ("X64", 0.1), ("X78", 0.2),
                         ("X70", 0.05), ("X84", 0.05))
# Alcohol-related youth events that are not self-harm.
ALCOHOL_PRINCIPAL: Pool = (("F100", 0.7), ("T510", 0.25), ("K700", 0.05))
ALCOHOL_CAUSE: Pool = (("X45", 0.7), ("Y15", 0.3))
INJURY_CAUSE: Pool = (("W01", 0.25), ("W19", 0.2), ("W10", 0.1), ("V43", 0.1), ("W54", 0.05),
                      ("W22", 0.15), ("X59", 0.1), ("W06", 0.05))
ADULT_COMORBIDITY: Pool = (("E119", 0.2), ("I10", 0.25), ("Z864", 0.1), ("F171", 0.15),
                           ("J449", 0.1), ("N184", 0.05), ("E669", 0.1), ("Z921", 0.05))


def draw(pool: Pool, n: int, rng: np.random.Generator) -> np.ndarray:
    codes = np.array([c for c, w in pool if w > 0], dtype=object)
    w = np.array([w for _, w in pool if w > 0])
    return codes[rng.choice(len(codes), size=n, p=w / w.sum())]


def all_pools() -> dict[str, Pool]:
    return {k: v for k, v in globals().items() if k.isupper() and isinstance(v, tuple)}
