"""Board-paper PDFs: each pack page printed by headless Chromium, next to its HTML.

The page's print stylesheet (dashboard.css, @media print) sets A4, keeps the first page on one
sheet and drops interactive chrome; Chromium only has to run plotly.js and print. A page that
fails to print is an error naming the page: a missing board paper must not pass silently.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
    pdf = Path(pdf) if pdf else html.with_suffix(".pdf")
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


class PdfPrinter:
    """Prints each page as soon as it is handed over (`submit`), so Chromium prints one page while
    Python renders the next: the two overlap instead of taking turns. Two Chromium processes at
    a time. Used as a context manager; `results()` after it closes, in the order submitted."""

    def __init__(self, workers: int = 2) -> None:
        self._browser = find_browser()
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="pdf")
        self._futures: list[Future[Path]] = []

    def submit(self, page: Path) -> None:
        if Path(page).suffix == ".html":
            self._futures.append(self._pool.submit(print_pdf, Path(page), browser=self._browser))

    def results(self) -> list[Path]:
        return [f.result() for f in self._futures]

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self._pool.shutdown(wait=True, cancel_futures=error is not None)


def print_pdfs(pages: Sequence[Path], workers: int = 2) -> list[Path]:
    """A PDF beside every HTML page, in the order given (two Chromium processes at a time)."""
    with PdfPrinter(workers) as printer:
        for page in pages:
            printer.submit(page)
    return printer.results()
