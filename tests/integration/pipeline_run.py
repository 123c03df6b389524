"""One whole-pipeline run on the small synthetic preset, for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pytest

from pipelines.config import Settings
from pipelines.defs.launch import run_pending
from pipelines.synthetic import generate

SEED = 20260101


@contextmanager
def pipeline_run(root, defects: list[str] | None = None, sources: list[str] | None = None) -> Iterator[dict]:
    """Generate two small years into `root` (optionally with defects, or only some sources), run what `slm run` runs
    (the landing scan's ingestion runs, then the refresh) in-process on an ephemeral instance,
    and yield what the tests inspect."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SLM_DATA_DIR", str(root / "data"))
    mp.setenv("SLM_DASHBOARDS", str(root / "dashboards"))
    mp.setenv("SLM_PDFS", "0")  # the tests read the pages; tests/dashboards prints PDFs of them
    try:
        settings = Settings.from_env()
        generate(preset="small", out_dir=settings.landing, truth_dir=settings.truth, years=2,
                 end_quarter="2025Q4", seed=SEED, defects=defects, sources=sources)
        from pipelines.definitions import defs

        definitions = defs()
        instance = dg.DagsterInstance.ephemeral()
        runs = run_pending(definitions, instance, settings)
        yield {"settings": settings, "runs": runs, "definitions": definitions, "instance": instance}
    finally:
        mp.undo()
