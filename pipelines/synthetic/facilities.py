"""Synthetic facility codes: `F` + 2-digit facility number + the district's 3-digit code."""

from __future__ import annotations

import numpy as np

from .presets import DISTRICT_SHAPE
from .reference import districts

# The tertiary hospital district of each region receives referrals and transfers.
_TERTIARY = {"Northern": "022", "Te Manawa Taki": "031", "Central": "091", "Te Waipounamu": "121"}
OWN_DISTRICT_SHARE = 0.92


def referral_tables():
    ds = districts()
    index = {d.code3: i for i, d in enumerate(ds)}
    tertiary = np.array([index[_TERTIARY[d.region]] for d in ds])
    big = np.array([DISTRICT_SHAPE[d.code3][0] > 300_000 for d in ds])
    return tertiary, big


def public_facility(district: np.ndarray, rng: np.random.Generator):
    """(facility_code, service district index): mostly a hospital of the home district."""
    tertiary, big = referral_tables()
    away = rng.random(len(district)) >= OWN_DISTRICT_SHARE
    service = np.where(away, tertiary[district], district)
    second = big[service] & (rng.random(len(district)) < 0.35)
    number = np.where(second, "F02", "F01")
    return _codes(number, service), service


def private_facility(district: np.ndarray):
    return _codes(np.full(len(district), "F91"), district), district


def transfer_facility(service: np.ndarray):
    """Transfers go to the regional tertiary hospital, or from it to a step-down facility."""
    tertiary, _ = referral_tables()
    at_tertiary = tertiary[service] == service
    dest = np.where(at_tertiary, service, tertiary[service])
    number = np.where(at_tertiary, "F03", "F01")
    return _codes(number, dest), dest


def _codes(number: np.ndarray, district: np.ndarray) -> np.ndarray:
    code3 = np.array([d.code3 for d in districts()], dtype=object)
    return np.char.add(number.astype(str), code3[district].astype(str)).astype(object)
