"""For everyone at the table: colour-vision-deficiency-safe categories, WCAG text contrast, and
status that never rests on colour alone.

Colour differences are CIECAM02-UCS ΔE (colorspacious), after simulating deuteranomaly,
protanomaly and tritanomaly at severity 100 (Machado et al. 2009, i.e. dichromacy). Categories
drawn together must stay ≥ MIN_DELTA_E apart for every vision; ~1 is a just-noticeable difference,
and 10 keeps two marks or fills told apart at a glance. Contrast is the WCAG 2.x ratio of relative
luminances: ≥ 4.5:1 for text, ≥ 3:1 for marks and lines (non-text contrast, 1.4.11).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from colorspacious import cspace_convert, deltaE

from pipelines.dashboards import palette as pal
from pipelines.dashboards.comparisons import COMPARISON_LABELS, COMPARISON_MARKS, FINGERTIPS
from pipelines.dashboards.figures import FOREST_SYMBOLS
from pipelines.dashboards.funnels import LABEL_STYLE
from pipelines.dashboards.icons import ASSURANCE, VARIATION

MIN_DELTA_E = 10.0
VISIONS = (None, "deuteranomaly", "protanomaly", "tritanomaly")
CSS = (Path(pal.__file__).parent / "templates" / "dashboard.css").read_text(encoding="utf-8")


def rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)])


def seen(colour: np.ndarray, vision: str | None) -> np.ndarray:
    if vision is None:
        return colour
    cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(cspace_convert(colour, cvd, "sRGB1"), 0, 1)


def closest_pair(colours: dict[str, str]) -> tuple[float, str, str, str]:
    """(ΔE, a, b, vision) of the two categories closest together under any vision."""
    return min((float(deltaE(seen(rgb(colours[a]), v), seen(rgb(colours[b]), v), input_space="sRGB1")),
                a, b, v or "normal")
               for v in VISIONS for a, b in itertools.combinations(colours, 2))


def luminance(hex_colour: str) -> float:
    c = rgb(hex_colour)
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_wcag_formula_on_known_pairs():
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the classic near miss


# Categories that share a chart or a legend (lower/higher appear only for measures without polarity,
# never beside better/worse; SPC's neutral colour only on charts without improvement/concern).
CATEGORY_SETS = {
    "equity groups on a trend chart": pal.GROUP_COLOURS,
    "SPC improvement vs concern": {k: pal.SPC_COLOURS[k] for k in
                                   ("special_cause_improvement", "special_cause_concern")},
    "forest: better / similar / worse / not compared": {k: pal.COMPARISON_COLOURS[k] for k in
                                                        ("better", "similar", "worse")},
    "Fingertips RAG fills": {k: FINGERTIPS[k][0] for k in ("better", "similar", "worse", "not_compared")},
    "Fingertips BOB fills": {k: FINGERTIPS[k][0] for k in ("lower", "similar", "higher", "not_compared")},
    "funnel significance labels": {k: v[0] for k, v in LABEL_STYLE.items()},
    "MDC icon fills": {"improvement": VARIATION["improvement_high"][0],
                       "concern": VARIATION["concern_high"][0], "common": VARIATION["common_cause"][0]},
}


@pytest.mark.parametrize("name", CATEGORY_SETS)
def test_categories_stay_apart_for_colour_blind_readers(name):
    d, a, b, vision = closest_pair(CATEGORY_SETS[name])
    assert d >= MIN_DELTA_E, f"{name}: {a} and {b} are ΔE {d:.1f} apart for {vision} vision"


def test_categories_sharing_a_colour_differ_by_shape():
    # forest: lower and higher share the neutral colour, and similar and not compared the grey
    assert pal.COMPARISON_COLOURS["lower"] == pal.COMPARISON_COLOURS["higher"]
    assert FOREST_SYMBOLS["lower"] != FOREST_SYMBOLS["higher"]
    assert FOREST_SYMBOLS.get("similar", "circle") != FOREST_SYMBOLS["not_compared"]
    symbols = [s for _, s in LABEL_STYLE.values()]
    assert len(set(symbols)) == len(symbols)


def test_marks_and_lines_have_non_text_contrast_on_white():
    marks = {**{f"group {k}": v for k, v in pal.GROUP_COLOURS.items()},
             **{f"spc {k}": v for k, v in pal.SPC_COLOURS.items()},
             **{f"forest {k}": v for k, v in pal.COMPARISON_COLOURS.items()},
             **{f"funnel {k}": v[0] for k, v in LABEL_STYLE.items()},
             "national reference line": pal.NATIONAL_COLOUR}
    low = {k: round(contrast(v, "#FFFFFF"), 2) for k, v in marks.items() if contrast(v, "#FFFFFF") < 3}
    assert low == {}


def luma_grey(hex_colour: str) -> str:
    """The grey a greyscale print or PDF render gives (Rec. 601 luma on the encoded values, as
    PDFium does), which can lose contrast that the WCAG luminance of the colour keeps."""
    r, g, b = (int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    v = round(0.299 * r + 0.587 * g + 0.114 * b)
    return f"#{v:02X}{v:02X}{v:02X}"


def test_status_chips_keep_text_contrast_in_greyscale():
    low = {k: round(contrast(luma_grey(ink), luma_grey(fill)), 2) for k, (fill, ink) in FINGERTIPS.items()
           if contrast(luma_grey(ink), luma_grey(fill)) < 4.5}
    assert low == {}


def _css_var(name: str) -> str:
    return re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS).group(1)


def test_text_contrast_for_every_text_and_background_pair():
    white, bg = "#FFFFFF", _css_var("bg")
    zebra, head, note = "#FAFBFC", "#EEF2F5", "#F0F3F6"  # table rows, table head / national row, .note
    assert all(c.lower() in CSS.lower() for c in (zebra, head, note))
    pairs = {
        **{f"{t} on {b}": (fg, bb)
           for t, fg in {"text": _css_var("text"), "muted": _css_var("muted"), "accent link": _css_var("accent"),
                         "verdict improved / met": "#1B6E3A", "verdict worsened / not met": "#A3202E",
                         "key improvement": "#1F6FB2", "key concern": "#A35200", "key neutral": "#7B3294",
                         "withheld value": _css_var("blocked")}.items()
           for b, bb in {"card": white, "zebra row": zebra, "table head": head, "note": note}.items()},
        "page text on page background": (_css_var("text"), bg),
        "header title on accent": ("#FFFFFF", _css_var("accent")),
        "header muted on accent": ("#CFE3EC", _css_var("accent")),
        "header subtitle on accent": ("#E8F1F5", _css_var("accent")),
        "warning banner": ("#4D3500", "#FFF4D6"),
        **{f"badge {s}": ("#FFFFFF", _css_var(s)) for s in ("pass", "warn", "blocked")},
        **{f"rag {k}": (ink, fill) for k, (fill, ink) in FINGERTIPS.items()},
        **{f"MDC icon {k}": ("#FFFFFF", fill) for k, (fill, _, _) in {**VARIATION, **ASSURANCE}.items()},
    }
    low = {k: round(contrast(*v), 2) for k, v in pairs.items() if contrast(*v) < 4.5}
    assert low == {}


# ---- the built pages: keyboard, captions, macrons, status without colour --------------------

class _Page(HTMLParser):
    """Elements in document order as (tag, attrs, depth path), plus each figure's parts."""

    VOID = {"meta", "link", "br", "img", "input", "col", "hr", "source", "wbr", "area", "base"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.stack: list[tuple[str, dict]] = []
        self.figures: list[dict] = []
        self.status_cells: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.elements.append((tag, a))
        if tag == "figure":
            self.figures.append({"plot": False, "caption": "", "in_caption": False})
        if self.figures and tag == "div" and "plotly-graph-div" in a.get("class", ""):
            self.figures[-1]["plot"] = True
        if self.figures and tag == "figcaption":
            self.figures[-1]["in_caption"] = True
        if "background:" in a.get("style", "") and tag in ("span", "td"):
            self.status_cells.append({"tag": tag, "class": a.get("class", ""), "visible": "", "hidden": 0})
        if self.status_cells and ("sr-only" in a.get("class", "")):
            self.status_cells[-1]["hidden"] += 1
        if tag not in self.VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        if tag == "figcaption" and self.figures:
            self.figures[-1]["in_caption"] = False
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if self.figures and self.figures[-1]["in_caption"]:
            self.figures[-1]["caption"] += data
        inside_status = any("background:" in a.get("style", "") for _, a in self.stack)
        hidden = any("sr-only" in a.get("class", "") for _, a in self.stack)
        if self.status_cells and inside_status and not hidden:
            self.status_cells[-1]["visible"] += " " + data


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from conftest import synthetic_marts

    from pipelines.dashboards import build_dashboards

    out = tmp_path_factory.mktemp("a11y")
    measures, equity, trend, dq = synthetic_marts(n_districts=8, n_quarters=8, all_six=True)
    pages = build_dashboards(measures, equity, trend, dq, out / "html", "2025Q2")
    return {p.name: p.read_bytes() for p in pages if p.suffix == ".html"}


def _parse(raw: bytes) -> _Page:
    page = _Page()
    page.feed(raw.decode("utf-8"))  # must be UTF-8: a decode error fails here
    return page


def test_macrons_are_utf8_characters(built):
    names = {"district_021_waitemata.html": ["Waitematā"], "district_051_tairawhiti.html": ["Tairāwhiti"],
             "index.html": ["Waitematā", "Tairāwhiti"]}
    assert set(names) <= set(built)
    for name, raw in built.items():
        assert b'<meta charset="utf-8">' in raw
        text = raw.decode("utf-8")
        assert "Māori" in text and all(n in text for n in names.get(name, [])), name
        assert unicodedata.normalize("NFC", text) == text, name  # ā precomposed, not a + U+0304
        # no mojibake (UTF-8 read as Latin-1) and no unmacronned names in prose
        assert "Ä" not in text and not re.search(r"\b(Maori|Waitemata|Tairawhiti)\b", text), name


def test_keyboard_order_and_targets(built):
    for name, raw in built.items():
        page = _parse(raw)
        tabindex = [int(a["tabindex"]) for _, a in page.elements if a.get("tabindex", "").lstrip("-").isdigit()]
        assert all(t <= 0 for t in tabindex), name  # no positive tabindex: DOM order is tab order
        body = [(t, a) for t, a in page.elements[[t for t, _ in page.elements].index("body"):]]
        first_link = next(a for t, a in body if t == "a")
        assert "skip-link" in first_link.get("class", "") and first_link["href"] == "#main", name
        ids = {a["id"] for _, a in page.elements if "id" in a}
        assert "main" in ids
        links = [a for t, a in page.elements if t == "a"]
        assert all(a.get("href") for a in links), name  # an <a> without href is not focusable
        missing = {a["href"] for a in links if a["href"].startswith("#") and a["href"][1:] not in ids}
        assert missing == set(), name
        # controls are native (summary, a, button): nothing clickable that a keyboard cannot reach
        assert not [a for t, a in page.elements if "onclick" in a and t not in ("a", "button")], name
        details = sum(t == "details" for t, _ in page.elements)
        assert sum(t == "summary" for t, _ in page.elements) >= details


def test_every_chart_has_a_caption(built):
    for name, raw in built.items():
        page = _parse(raw)
        plots = raw.decode("utf-8").count('class="plotly-graph-div"')
        figures = [f for f in page.figures if f["plot"]]
        assert len(figures) == plots, name  # every chart sits in a figure
        short = [f["caption"] for f in figures if len(f["caption"].split()) < 8]
        assert short == [], name  # each says what it shows


def test_status_cells_carry_words_or_letters_not_colour_alone(built):
    expected_marks = {v for v in COMPARISON_MARKS.values() if v}
    labels = set(COMPARISON_LABELS.values())
    for name, raw in built.items():
        page = _parse(raw)
        assert page.status_cells, name
        for cell in page.status_cells:
            visible = cell["visible"].split()
            if "rug-cell" in cell["class"]:  # value then its letter, or "s"/"—" for no comparison
                assert visible and (visible[-1] in expected_marks or visible == ["s"] or visible == ["—"]), (
                    name, cell)
            elif "swatch" not in cell["class"]:
                words = " ".join(visible)
                assert words and (any(label in words for label in labels) or cell["class"].startswith("badge")), (
                    name, cell)
