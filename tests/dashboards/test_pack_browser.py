"""The ALT pack opened in headless Chromium, and its board-paper PDFs.

Packs are built once for the module (hand-made marts with all six SLM headlines, the shipped
example milestones, and hand-built quarterly points so SPC icons and the projection render), then
three of the pages are opened: no console errors, every chart drawn, six SLM rows on the first
page. Their PDFs must exist with the summary on page 1. Screenshots are left in the pytest tmp dir
(path printed).
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import polars as pl
import pypdfium2
import pytest
from conftest import quarter_ends, synthetic_marts
from pypdf import PdfReader
from test_dashboard_browser import CHROMIUM, _chromium, _console

from pipelines.dashboards import build_dashboards
from pipelines.dashboards.comparisons import COMPARISON_LABELS
from pipelines.dashboards.pdf import print_pdfs
from pipelines.dashboards.quarterly import POINT_COLUMNS
from pipelines.dashboards.summary import CHANGE_LABELS, HEADLINES
from pipelines.dashboards.targets import EXAMPLE_TARGETS, load_targets

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless test needs chromium (apt-get install chromium)"),
]

SIX = [m for m, _ in HEADLINES]
NAMES = ("Ambulatory sensitive hospitalisations", "Acute hospital bed days", "Patient experience",
         "Amenable mortality", "smokefree homes", "Self-harm hospitalisations")


def _quarterly(codes: list[str]) -> pl.DataFrame:
    """16 quarters of ASH counts per district and NZ, Poisson around 6,000 per 100,000."""
    ends = quarter_ends(16, last=date(2025, 6, 30))
    rng = np.random.default_rng(12)
    frames = []
    for code in codes:
        counts = rng.poisson(0.06 * 40_000 / 4, len(ends)).astype(float)
        frames.append(pl.DataFrame({
            "district_code": code, "measure_id": "ash_0_4", "period_end": ends,
            "period_label": [f"{d.year}Q{(d.month - 1) // 3 + 1}" for d in ends],
            "numerator": counts, "population": 40_000.0, "value": counts / 10_000 * 100_000,
            "suppressed": False, "withheld": False, "kind": "quarter"}, schema=POINT_COLUMNS))
    return pl.concat(frames)


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    # four districts: Fingertips draws a spine's quartiles only from more than three areas
    measures, equity, trend, dq = synthetic_marts(n_districts=4, n_quarters=14, all_six=True)
    targets = load_targets(EXAMPLE_TARGETS, SIX)
    pages = build_dashboards(measures, equity, trend, dq, out / "html", "2025Q2", targets=targets,
                             points=_quarterly(["011", "021", "022", "023", "000"]))
    pages = {p.name: p for p in pages}
    # Board papers of the pages opened below (two districts and the national page): the other
    # two district pages are the same template over other numbers, and a PDF costs ~6 CPU s.
    pdfs = print_pdfs([pages[name] for name in OPENED])
    return out, pages, pdfs


OPENED = ["district_011_northland.html", "district_021_waitemata.html", "index.html"]


@pytest.mark.parametrize("name", OPENED)
def test_pack_page_renders_in_chromium(pack, name):
    out, pages, _ = pack
    page = pages[name]
    html = page.read_text(encoding="utf-8")
    expected = len(re.findall(r'class="plotly-graph-div"', html))
    assert expected >= 3
    res = _chromium(out, page, "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    dom = res.stdout
    assert dom.count('class="plot-container plotly"') == expected  # every chart drawn
    errors = [c for c in _console(res.stderr) if re.search(r"error|uncaught|failed", c, re.I)]
    assert errors == []
    summary = re.search(r'<table class="data pack-summary">.*?</table>', dom, re.S).group(0)
    assert re.findall(r'data-measure="([a-z0-9_]+)"', summary) == SIX
    assert page.stat().st_size < 8_000_000  # standalone page under 8 MB


def test_district_first_page_content(pack):
    _, pages, _ = pack
    html = pages["district_011_northland.html"].read_text(encoding="utf-8")
    first = html[html.index('id="summary"'):html.index('id="spc"')]
    assert 'id="pack-spine-011"' in first  # the spine chart
    assert "Māori" in first and "Pacific" in first  # macrons kept
    assert re.search(r'aria-label="(Common cause|Special cause)', first)  # MDC variation icon
    assert re.search(r'aria-label="Milestone (consistently|hit and miss)', first)  # assurance
    assert "Projection:" in first
    index = pages["index.html"].read_text(encoding="utf-8")
    assert 'class="data rug"' in index and index.count('class="num rug-cell"') == 4 * 6
    assert "pack-funnel-ash-0-4" in index


def test_screenshots(pack):
    out, pages, _ = pack
    for name in ("district_011_northland.html", "index.html"):
        png = out / f"{name.removesuffix('.html')}.png"
        res = _chromium(out, pages[name], f"--screenshot={png}", "--window-size=1400,2400")
        assert res.returncode == 0, res.stderr[-2000:]
        assert png.stat().st_size > 50_000
        print(f"screenshot: {png}")


def test_pdf_beside_each_page_with_summary_on_page_one(pack):
    _, pages, pdfs = pack
    assert [p.with_suffix(".html").name for p in pdfs] == OPENED
    assert all(p.parent == pages[p.with_suffix(".html").name].parent for p in pdfs)  # beside its page
    for pdf in pdfs:
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 2
        width, height = (float(x) for x in reader.pages[0].mediabox.upper_right)
        assert abs(width - 595) < 3 and abs(height - 842) < 3  # A4 portrait in points
        # words wrap across lines in a table cell, and the PDF font uses the "ﬁ" ligature
        page1 = "".join(reader.pages[0].extract_text().replace("ﬁ", "fi").split())
        assert "summary" in page1.lower(), pdf.name  # "Summary for the ALT" / "New Zealand summary"
        for name in NAMES:  # every SLM row on page 1, so the first page fits one sheet
            assert "".join(name.split()) in page1, (pdf.name, name)


def _squash(text: str) -> str:
    return "".join(text.replace("ﬁ", "fi").split())


# A district's first-page section ends with the spine chart's caption (the reading notes are a
# closed <details>, not printed); the next section's heading opens page 2.
LAST_ON_PAGE_1 = "Themarker'scolourandshapegivethecomparisonwithNewZealand."
NEXT_SECTION = {"index.html": "DistrictscomparedwithNewZealand"}
DISTRICT_NEXT_SECTION = "Variationandmilestones"


def test_first_page_section_is_exactly_one_sheet(pack):
    _, _, pdfs = pack
    for pdf in pdfs:
        reader = PdfReader(pdf)
        page1, page2 = (_squash(reader.pages[i].extract_text()) for i in (0, 1))
        name = pdf.with_suffix(".html").name
        if name.startswith("district_"):
            assert "Spinechart:" in page1 and LAST_ON_PAGE_1 in page1, pdf.name  # the whole section ...
        heading = NEXT_SECTION.get(name, DISTRICT_NEXT_SECTION)
        assert heading not in page1 and page2.startswith(heading), (pdf.name, page2[:80])  # ... and only it


def _grey_contrast(pixels) -> float:
    """WCAG ratio between the lightest and darkest grey in a box, each grey level taken as sRGB."""
    def lum(v: float) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    hi, lo = lum(float(pixels.max())), lum(float(pixels.min()))
    return (hi + 0.05) / (lo + 0.05)


STATUS_WORDS = ({v for k, v in COMPARISON_LABELS.items() if k != "not_compared"}
                | {v for k, v in CHANGE_LABELS.items() if k != "no_change"} | {"Met", "Not met"})


def test_first_page_status_words_read_in_greyscale(pack):
    """Page 1 rasterised in greyscale (PDFium, 216 dpi): every judgement word on it (Better/Similar/
    Worse chips, Improved/Worsened, Met) stands out from what is behind it by at least 4.5:1, so the
    judgements survive a black-and-white board paper; the colour of a chip adds nothing they need."""
    _, _, pdfs = pack
    scale = 3
    for pdf in pdfs:
        doc = pypdfium2.PdfDocument(pdf)
        page = doc[0]
        height = page.get_height()
        grey = page.render(scale=scale, grayscale=True).to_numpy()
        grey = grey if grey.ndim == 2 else grey[..., 0]
        text = page.get_textpage()
        found = []
        for word in sorted(STATUS_WORDS):
            search = text.search(word, match_case=True, match_whole_word=True)
            while (hit := search.get_next()) is not None:
                start, count = hit
                boxes = [text.get_charbox(i) for i in range(start, start + count)]
                left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
                bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
                box = grey[int((height - top) * scale) - 1:int((height - bottom) * scale) + 2,
                           int(left * scale) - 1:int(right * scale) + 2]
                found.append((word, round(_grey_contrast(box), 2)))
        doc.close()
        name = pdf.with_suffix(".html").name
        assert len(found) >= (6 if name.startswith("district_") else 1), (pdf.name, found)
        assert [f for f in found if f[1] < 4.5] == [], pdf.name
