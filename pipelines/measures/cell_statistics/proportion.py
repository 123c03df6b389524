"""Proportion (× `multiplier`, 100 for percent) with Wilson score limits: PHE phe_proportion."""

from __future__ import annotations

from pipelines import stats
from pipelines.measures.cell_statistics import _crude


def compute(cells, measure, confidence):
    return _crude.compute(cells, stats.proportion, confidence, measure.multiplier)


def compare(cells, measure, comparator, confidence):
    return _crude.compare(cells, stats.proportion_ratio_difference, comparator, confidence,
                          measure.multiplier)
