"""One whole-pipeline run on the small synthetic preset, for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pytest

from pipelines.config import Settings
from pipelines.defs.jobs import REFRESH_JOB
from pipelines.defs.launch import JobRun, ingest_pending, run_pending
from pipelines.synthetic import generate

SEED = 20260101

# The shared partial run (tests/integration/conftest.py): admissions, the population and one other
# quarterly source (chlamydia testing). Enough to show that a blocked admissions quarter withholds
# only the measures that read admissions, that the sources without a file leave their readers
# empty, and that a new chlamydia quarter refreshes only what reads it.
PARTIAL_SOURCES = ["population", "nmds_events", "esr_chlamydia"]
BLOCKED = "2025Q2"  # the generator drops one district from this NMDS quarter (an error rule)


@contextmanager
def pipeline_run(root, defects: list[str] | None = None, sources: list[str] | None = None,
                 automation: bool = False) -> Iterator[dict]:
    """Generate two small years into `root` (optionally with defects, or only some sources), run what `slm run` runs
    (the landing scan's ingestion runs, then the refresh) in-process on an ephemeral instance,
    and yield what the tests inspect. With `automation`, the refresh is what the daemon's
    automation sensor requests after those ingestion runs, instead of `slm run`'s selection."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SLM_DATA_DIR", str(root / "data"))
    mp.setenv("SLM_DASHBOARDS", str(root / "dashboards"))
    try:
        settings = Settings.from_env()
        generate(preset="small", out_dir=settings.landing, truth_dir=settings.truth, years=2,
                 end_quarter="2025Q4", seed=SEED, defects=defects, sources=sources)
        from pipelines.definitions import defs

        definitions = defs()
        instance = dg.DagsterInstance.ephemeral()
        if automation:  # the daemon evaluates before the files land, and again after they loaded
            before = dg.evaluate_automation_conditions(defs=definitions, instance=instance).cursor
            runs = _automation_refresh(definitions, instance, ingest_pending(definitions, instance, settings), before)
        else:
            runs = run_pending(definitions, instance, settings)
        yield {"settings": settings, "runs": runs, "definitions": definitions, "instance": instance}
    finally:
        mp.undo()


def _automation_refresh(definitions: dg.Definitions, instance: dg.DagsterInstance,
                        runs: list[JobRun], cursor) -> list[JobRun]:
    """The assets the automation sensor requests on its next tick, executed in one refresh run."""
    evaluation = dg.evaluate_automation_conditions(defs=definitions, instance=instance, cursor=cursor)
    requested = [k for k in definitions.resolve_asset_graph().get_all_asset_keys()
                 if evaluation.get_num_requested(k)]
    assert requested, "the automation requested nothing after the ingestion runs"
    return [*runs, JobRun(REFRESH_JOB, definitions.resolve_job_def(REFRESH_JOB).execute_in_process(
        instance=instance, raise_on_error=False, asset_selection=requested))]
