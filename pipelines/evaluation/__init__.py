"""Did our initiative work? Evaluating alliance initiatives against the SLMs (issue 14).

    register = load_register(register_path(), evaluable={"ash_0_4", ...})
    estimates, series = evaluate(initiatives(register), counts_by_measure, multipliers)

Methods, assumptions and references: docs/evaluation.md.
"""

from pipelines.evaluation.did import difference_in_differences
from pipelines.evaluation.estimates import ESTIMATE_SCHEMA, SERIES_SCHEMA, evaluate
from pipelines.evaluation.glm import NotEstimable
from pipelines.evaluation.its import interrupted_time_series
from pipelines.evaluation.power import quarters_needed
from pipelines.evaluation.register import (
    Initiative,
    RegisterError,
    initiatives,
    load_register,
    register_path,
)
from pipelines.evaluation.synthetic_control import synthetic_control

__all__ = [
    "ESTIMATE_SCHEMA", "SERIES_SCHEMA", "Initiative", "NotEstimable", "RegisterError",
    "difference_in_differences", "evaluate", "initiatives", "interrupted_time_series",
    "load_register", "quarters_needed", "register_path", "synthetic_control",
]
