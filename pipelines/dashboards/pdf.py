"""Board-paper PDFs: each pack page printed by headless Chromium, next to its HTML.

The page's print stylesheet (dashboard.css, @media print) sets A4, keeps the first page on one
sheet and drops interactive chrome; Chromium only has to run plotly.js and print. A page that
fails to print is an error naming the page: a missing board paper must not pass silently.

One Chromium serves the whole pack, driven over the DevTools protocol by choreographer (Plotly's
own browser driver, installed with kaleido): starting Chromium for every page (`--print-to-pdf`)
cost a browser start per page and took about twice the wall time for the same PDFs, whose pages
render pixel for pixel the same (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path

from pipelines.dashboards.export import find_browser

# Printed once every chart is drawn: plotly.js draws each figure from an inline script, and a
# figure is drawn when its div has its layout and SVG. Fonts loaded, then two frames painted.
_CHARTS_DRAWN = """(async () => {
  await document.fonts.ready;
  const charts = [...document.querySelectorAll('.plotly-graph-div')];
  const drawn = () => charts.filter(c => c._fullLayout && c.querySelector('.main-svg')).length;
  for (let i = 0; i < %(polls)d && drawn() < charts.length; i++) {
    await new Promise(r => setTimeout(r, 50));
  }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return charts.length - drawn();
})()"""
_PRINT = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False,
          "transferMode": "ReturnAsBase64"}


class PdfError(RuntimeError):
    pass


class PdfPrinter:
    """Prints each page as soon as it is handed over (`submit`), so Chromium prints one page while
    Python renders the next. One browser for every page, `workers` tabs printing at a time. Used
    as a context manager; `results()` after it closes, in the order submitted."""

    def __init__(self, workers: int = 2, timeout: float = 180) -> None:
        self._path = find_browser()
        self._workers, self._timeout = max(1, workers), timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pdf", daemon=True)
        self._thread.start()
        self._browser = None
        self._opening: asyncio.Lock | None = None
        self._slots: asyncio.Semaphore | None = None
        self._futures: list[Future[Path]] = []

    def submit(self, page: Path, pdf: Path | None = None) -> None:
        """Queue an HTML page (other files are not printed); its PDF goes to `pdf` (default: the
        same name, .pdf)."""
        page = Path(page)
        if page.suffix == ".html":
            target = Path(pdf) if pdf else page.with_suffix(".pdf")
            self._futures.append(asyncio.run_coroutine_threadsafe(self._print(page, target), self._loop))

    def results(self) -> list[Path]:
        return [f.result() for f in self._futures]

    async def _print(self, html: Path, pdf: Path) -> Path:
        pdf.unlink(missing_ok=True)
        if self._slots is None:  # made on the loop's thread, where every print runs
            self._opening, self._slots = asyncio.Lock(), asyncio.Semaphore(self._workers)
        browser = await self._open(html)
        async with self._slots:
            try:
                data = await asyncio.wait_for(self._print_tab(browser, html), self._timeout)
            except PdfError:
                raise
            except Exception as exc:  # a timeout, or Chromium answered with an error
                raise PdfError(f"{html.name}: Chromium did not print a PDF ({type(exc).__name__}: "
                               f"{str(exc)[:300]})") from exc
        if not data:
            raise PdfError(f"{html.name}: Chromium printed an empty PDF")
        pdf.write_bytes(data)
        return pdf

    async def _open(self, html: Path):
        async with self._opening:
            if self._browser is None:
                if self._path is None:
                    raise PdfError(f"{html.name}: no Chromium to print with (set BROWSER_PATH or "
                                   "install chromium)")
                import choreographer

                self._browser = await choreographer.Browser(path=self._path, headless=True)
        return self._browser

    async def _print_tab(self, browser, html: Path) -> bytes:
        from choreographer.protocol.devtools_async_helpers import create_and_wait

        tab = await create_and_wait(browser, html.resolve().as_uri(), timeout=self._timeout)
        try:
            polls = int(self._timeout * 20)
            left = await tab.send_command("Runtime.evaluate", params={
                "expression": _CHARTS_DRAWN % {"polls": polls}, "awaitPromise": True,
                "returnByValue": True})
            undrawn = left.get("result", {}).get("result", {}).get("value")
            if undrawn != 0:
                raise PdfError(f"{html.name}: {undrawn} chart(s) not drawn; no PDF printed "
                               f"({left.get('error') or left.get('result')})")
            printed = await tab.send_command("Page.printToPDF", params=_PRINT)
            if "error" in printed:
                raise PdfError(f"{html.name}: Chromium did not print a PDF: {printed['error']}")
            return base64.b64decode(printed["result"]["data"])
        finally:
            await browser.close_tab(tab.target_id)

    async def _close(self) -> None:
        if self._browser is not None:
            await self._browser.close()

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        try:
            for f in self._futures:
                if error is not None:
                    f.cancel()
                else:
                    f.exception()  # wait; results() raises it
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=60)
            self._loop.close()


def print_pdf(html: Path, pdf: Path | None = None, *, timeout: float = 180) -> Path:
    """Print one HTML page to PDF (default: same name, .pdf) and return the PDF path."""
    with PdfPrinter(workers=1, timeout=timeout) as printer:
        printer.submit(Path(html), pdf)
    (out,) = printer.results()
    return out


def print_pdfs(pages: Sequence[Path], workers: int = 2) -> list[Path]:
    """A PDF beside every HTML page, in the order given (`workers` pages at a time)."""
    with PdfPrinter(workers) as printer:
        for page in pages:
            printer.submit(page)
    return printer.results()
