"""Synthetic people: date of birth, encrypted NHI and level-2 ethnicity codes.

A person is identified by (district, group, sex, date of birth, k) with k drawn from roughly as many
values as there are people of that cell born on one day, so repeat events of the same person occur
at realistic rates and every event of a person carries the same NHI, birth date and ethnic codes.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

from .reference import GROUPS, ethnic_codes

_EPOCH = np.datetime64("1970-01-01", "D")


def birth_dates(event_dates: np.ndarray, age_years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Dates of birth so that completed years of age on `event_dates` equal `age_years`.

    The last birthday falls u ∈ [0, 365) days before the event; the birth date is that birthday
    moved back age_years calendar years (29 February becomes 28 February in common years).
    """
    u = rng.integers(0, 365, size=len(event_dates))
    last_birthday = event_dates - u.astype("timedelta64[D]")
    y = last_birthday.astype("datetime64[Y]").astype(int) + 1970
    m = last_birthday.astype("datetime64[M]").astype(int) % 12 + 1
    d = (last_birthday - last_birthday.astype("datetime64[M]")).astype(int) + 1
    by = y - age_years
    leap = (by % 4 == 0) & ((by % 100 != 0) | (by % 400 == 0))
    d = np.where((m == 2) & (d == 29) & ~leap, 28, d)
    return _ymd(by, m, d)


def _ymd(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    months = ((y - 1970) * 12 + (m - 1)).astype("timedelta64[M]")
    return (np.datetime64("1970-01", "M") + months).astype("datetime64[D]") + (d - 1).astype(
        "timedelta64[D]"
    )


def person_keys(district, group, sex, dob, cell_population, rng) -> np.ndarray:
    """Integer person key; people sharing a key are the same synthetic person."""
    per_day = np.maximum(1, np.ceil(cell_population / 365.25)).astype(np.int64)
    k = (rng.random(len(dob)) * per_day).astype(np.int64)
    days = (dob - _EPOCH).astype(np.int64) + 100_000  # positive for any 20th-century birth
    return (((district * 4 + group) * 2 + sex) * 1_000_000 + days) * 65_536 + k


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fixed bijective scramble of 64-bit integers."""
    z = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def person_uniforms(keys: np.ndarray, seed: int, n: int) -> list[np.ndarray]:
    """n uniforms in [0, 1) that are fixed for a person (same key and seed → same values)."""
    base = _mix64(keys.astype(np.uint64) ^ _mix64(np.array([seed], dtype=np.uint64))[0])
    out = []
    for i in range(n):
        with np.errstate(over="ignore"):
            h = _mix64(base + np.uint64(i + 1))
        out.append((h >> np.uint64(11)).astype(np.float64) / float(1 << 53))
    return out


def encrypted_nhi(keys: np.ndarray, seed: int) -> np.ndarray:
    """64 hex characters: HMAC-SHA256 of the person key under a key derived from the seed."""
    secret = hashlib.sha256(f"synthetic-nhi-key:{seed}".encode()).digest()
    uniq, inverse = np.unique(keys, return_inverse=True)
    digests = np.array(
        [hmac.new(secret, int(k).to_bytes(8, "little"), hashlib.sha256).hexdigest() for k in uniq],
        dtype=object,
    )
    return digests[inverse]


# Level-2 code mixes within each prioritised group (the code that determines the group).
_MAIN_CODES = {
    "Māori": (("21", 1.0),),
    "Pacific": (("31", 0.47), ("33", 0.22), ("32", 0.19), ("34", 0.07), ("36", 0.03),
                ("37", 0.01), ("35", 0.005), ("30", 0.005)),
    "Asian": (("43", 0.37), ("42", 0.35), ("41", 0.12), ("44", 0.15), ("40", 0.01)),
    "European or Other": (("11", 0.76), ("12", 0.10), ("10", 0.01), ("51", 0.02), ("52", 0.01),
                          ("53", 0.015), ("61", 0.03), ("99", 0.04), ("94", 0.01), ("95", 0.005)),
}
# Further identities a person may also report: only codes that do not outrank the main group.
_EXTRA_CODES = {
    "Māori": (("11", 0.6), ("31", 0.1), ("32", 0.1), ("12", 0.1), ("42", 0.05), ("61", 0.05)),
    "Pacific": (("11", 0.5), ("31", 0.15), ("33", 0.1), ("32", 0.1), ("42", 0.05), ("12", 0.1)),
    "Asian": (("11", 0.5), ("42", 0.2), ("12", 0.2), ("41", 0.1)),
    "European or Other": (("12", 0.4), ("11", 0.3), ("61", 0.2), ("51", 0.1)),
}
_RESIDUAL = {"94", "95", "96", "97", "98", "99"}


def _pick(table, u: np.ndarray) -> np.ndarray:
    codes = np.array([c for c, _ in table], dtype=object)
    cum = np.cumsum([w for _, w in table])
    return codes[np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(codes) - 1)]


def ethnic_code_columns(group: np.ndarray, keys: np.ndarray, seed: int) -> list[np.ndarray]:
    """ethnic_code_1..3 per event: one to three distinct level-2 codes, in no particular order,
    whose prioritised group is the person's planted group; residual codes stand alone."""
    u_main, u_n, u_x1, u_x2, u_order = person_uniforms(keys, seed, 5)
    cols = [np.full(len(group), "", dtype=object) for _ in range(3)]
    for g, name in enumerate(GROUPS):
        sel = np.flatnonzero(group == g)
        if not len(sel):
            continue
        main = _pick(_MAIN_CODES[name], u_main[sel])
        x1 = _pick(_EXTRA_CODES[name], u_x1[sel])
        x2 = _pick(_EXTRA_CODES[name], u_x2[sel])
        n = np.where(u_n[sel] < 0.72, 1, np.where(u_n[sel] < 0.95, 2, 3))
        n = np.where(np.isin(main, list(_RESIDUAL)), 1, n)
        x1 = np.where((n >= 2) & (x1 != main), x1, "")
        x2 = np.where((n >= 3) & (x2 != main) & (x2 != x1), x2, "")
        # Codes arrive unordered: the main (prioritised) code is not always first.
        stacked = np.stack([main, x1, x2], axis=1)
        swap = (u_order[sel] < 0.35) & (x1 != "")
        stacked[swap, 0], stacked[swap, 1] = x1[swap], main[swap]
        for i in range(3):
            # Close gaps: ethnic_code_2 is empty only if ethnic_code_3 is.
            cols[i][sel] = stacked[:, i]
        gap = (cols[1][sel] == "") & (cols[2][sel] != "")
        cols[1][sel[gap]], cols[2][sel[gap]] = cols[2][sel[gap]], ""
    return cols


def check_codes_are_known() -> None:
    known = {c.level2 for c in ethnic_codes()}
    for table in (*_MAIN_CODES.values(), *_EXTRA_CODES.values()):
        assert {c for c, _ in table} <= known
