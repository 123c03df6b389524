"""Synthetic extracts shaped exactly like the real sources (docs/sources.md), with planted truth.

    python -m pipelines.synthetic --preset small --out data/landing --truth-out data/truth
"""

from .generate import SOURCES, GenerationSummary, generate

__all__ = ["SOURCES", "GenerationSummary", "generate"]
