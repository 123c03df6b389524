"""Identity and demographic columns shared by the unit-record sources."""

from __future__ import annotations

import numpy as np

from .identity import encrypted_nhi, ethnic_code_columns, person_keys
from .reference import GROUPS, districts

CODE3 = np.array([d.code3 for d in districts()], dtype=object)
CODE4 = np.array([d.code4 for d in districts()], dtype=object)
GROUP_LABELS = np.array(GROUPS, dtype=object)


def person_columns(d, g, s, dob, cell_population, rng, seed, distinct=False) -> dict[str, np.ndarray]:
    """nhi_encrypted, sex and ethnic_code_1..3 for people of cells (d, g, s) born on `dob`.

    distinct=True: every row is a different person (births, deaths); otherwise people of the same
    cell and birth date may recur, as repeat attendances do."""
    keys = person_keys(d, g, s, dob, cell_population, rng)
    if distinct:
        keys = keys - keys % 65_536 + np.arange(len(keys)) % 65_536
    eth = ethnic_code_columns(g, keys, seed)
    return {
        "nhi_encrypted": encrypted_nhi(keys, seed),
        "sex": np.where(s == 0, "M", "F").astype(object),
        "ethnic_code_1": eth[0], "ethnic_code_2": eth[1], "ethnic_code_3": eth[2],
    }


def binomial_probability(p: np.ndarray, sd: float, rng: np.random.Generator, shape) -> np.ndarray:
    """District variation on the logit scale around group probabilities p (last axis = group)."""
    logit = np.log(p / (1 - p)) + rng.normal(0.0, sd, shape)
    return 1.0 / (1.0 + np.exp(-logit))
