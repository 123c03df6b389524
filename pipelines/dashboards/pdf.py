"""Board-paper PDFs: each pack page printed by headless Chromium, next to its HTML.

The page's print stylesheet (dashboard.css, @media print) sets A4, keeps the first page on one
sheet and drops interactive chrome; Chromium only has to run plotly.js and print. A page that
fails to print is an error naming the page: a missing board paper must not pass silently.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pipelines.dashboards.export import find_browser

PRINT_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
    # plotly draws after load; virtual time lets its timers run before the print is taken
    "--virtual-time-budget=15000",
)


class PdfError(RuntimeError):
    pass


def print_pdf(html: Path, pdf: Path | None = None, *, browser: str | None = None,
              timeout: float = 180) -> Path:
    """Print one HTML page to PDF (default: same name, .pdf) and return the PDF path."""
    html = Path(html)
    pdf = Path(pdf) if pdf else board_paper(html)
    browser = browser or find_browser()
    if browser is None:
        raise PdfError(f"{html.name}: no Chromium to print with (set BROWSER_PATH or install chromium)")
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="slm-pdf-") as profile:
        res = subprocess.run(
            [browser, *PRINT_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
             html.resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    if res.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise PdfError(f"{html.name}: Chromium did not print a PDF (exit {res.returncode}): "
                       f"{res.stderr[-500:]}")
    return pdf


def print_pdfs(pages: Sequence[Path], workers: int = 2) -> list[Path]:
    """A PDF beside every HTML page, in the order given, two Chromium processes at a time (each
    is CPU-bound: two fill this machine's two cores)."""
    browser = find_browser()
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pdf") as pool:
        return list(pool.map(lambda page: print_pdf(Path(page), browser=browser), pages))


def board_paper(page: Path) -> Path:
    """Where a page's board paper lives: beside it, same name, .pdf."""
    return Path(page).with_suffix(".pdf")
