"""Optional PNG export through kaleido and the system Chromium.

Never downloads a browser (no kaleido_get_chrome): without a usable Chromium this logs why and
returns an empty list, so the HTML dashboards never depend on it.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

from pipelines.output_files import atomic_outputs

log = logging.getLogger(__name__)

SYSTEM_CHROMIUM = "/usr/bin/chromium"


def find_browser() -> str | None:
    """BROWSER_PATH if it exists, else Debian's chromium, else chromium on PATH."""
    for candidate in (os.environ.get("BROWSER_PATH"), SYSTEM_CHROMIUM, shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def export_png(
    figures: Sequence[go.Figure],
    paths: Sequence[Path | str],
    *,
    width: int = 1100,
    scale: float = 2,
) -> list[Path]:
    """Write each figure to its PNG path in one browser session; [] (with a log message) if skipped."""
    if len(figures) != len(paths):
        raise ValueError(f"export_png: {len(figures)} figures but {len(paths)} paths")
    if not figures:
        return []
    browser = find_browser()
    if browser is None:
        log.warning("PNG export skipped: no Chromium found (set BROWSER_PATH or install chromium)")
        return []
    # kaleido prefers a Chrome it downloaded itself over BROWSER_PATH; we only ever point it at
    # the system one, so pin it explicitly for this call.
    previous = os.environ.get("BROWSER_PATH")
    os.environ["BROWSER_PATH"] = browser
    out = [Path(p) for p in paths]
    for p in out:
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        import plotly.io as pio

        heights = [f.layout.height or 500 for f in figures]
        with atomic_outputs() as staged:     # all PNGs or none; never a half-written one
            pio.write_images(list(figures), [staged(p) for p in out], format="png", width=width,
                             height=heights, scale=scale)
    except Exception as exc:  # kaleido/choreographer raise several types; all mean "no PNG"
        log.warning("PNG export skipped: kaleido failed with %s: %s", type(exc).__name__, exc)
        return []
    finally:
        if previous is None:
            os.environ.pop("BROWSER_PATH", None)
        else:
            os.environ["BROWSER_PATH"] = previous
    return out
