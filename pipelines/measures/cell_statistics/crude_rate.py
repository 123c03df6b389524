"""Crude rate per `multiplier` with exact (< 10 events) or Byar limits: PHE phe_rate."""

from __future__ import annotations

from pipelines import stats
from pipelines.measures.cell_statistics import _crude


def compute(cells, measure, confidence):
    return _crude.compute(cells, stats.crude_rate, confidence, measure.multiplier)


def compare(cells, measure, comparator, confidence):
    return _crude.compare(cells, stats.rate_ratio_difference, comparator, confidence, measure.multiplier)
