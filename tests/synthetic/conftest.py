from pathlib import Path

import pytest

from pipelines.synthetic import generate


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """One small-preset run shared by the read-only tests: (landing dir, truth dir, summary)."""
    root = tmp_path_factory.mktemp("small")
    summary = generate("small", root / "landing", root / "truth", years=2, end_quarter="2025Q4",
                       seed=20260101)
    return Path(root / "landing"), Path(root / "truth"), summary
