"""Independent, reproducible random streams keyed by names (seed, source, period, stream …).

Each (source, period, stream) draws from its own generator, so a file's content does not depend on
which other sources or periods are generated in the same run.
"""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, *labels: object) -> np.random.Generator:
    keys = [zlib.crc32(str(label).encode("utf-8")) for label in labels]
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))
