"""Making Data Count icons as small inline SVG badges, always with their words beside them.

Which icon applies is pipelines.stats.spc's decision (variation_icon, assurance); this module only
draws it. Fills are darker than NHS's originals so the white letter has ≥ 4.5:1 contrast, and
the letter (H/L, P/F/?) plus the label keep the icon readable in greyscale.
"""

from __future__ import annotations

from markupsafe import Markup, escape

_BLUE, _ORANGE, _PURPLE, _GREY = "#1F6FB2", "#A35200", "#7B3294", "#595959"

VARIATION = {
    "common_cause": (_GREY, "~", "Common cause variation"),
    "improvement_high": (_BLUE, "H", "Special cause improvement (high)"),
    "improvement_low": (_BLUE, "L", "Special cause improvement (low)"),
    "concern_high": (_ORANGE, "H", "Special cause concern (high)"),
    "concern_low": (_ORANGE, "L", "Special cause concern (low)"),
    "neutral_high": (_PURPLE, "H", "Special cause, neutral (high)"),
    "neutral_low": (_PURPLE, "L", "Special cause, neutral (low)"),
}
ASSURANCE = {
    "consistently_pass": (_BLUE, "P", "Milestone consistently met"),
    "consistently_fail": (_ORANGE, "F", "Milestone consistently missed"),
    "hit_and_miss": (_GREY, "?", "Milestone hit and miss"),
}


def _badge(fill: str, letter: str, label: str) -> Markup:
    return Markup(
        '<span class="mdc-icon"><svg width="22" height="22" viewBox="0 0 22 22" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<circle cx="11" cy="11" r="10" fill="{fill}" stroke="#1F2933" stroke-width="1"/>'
        f'<text x="11" y="15.5" text-anchor="middle" font-size="13" font-weight="700" fill="#FFFFFF" '
        f'font-family="Arial, sans-serif">{escape(letter)}</text></svg>'
        f'<span class="mdc-label">{escape(label)}</span></span>'
    )


def variation_badge(icon: str | None) -> Markup | None:
    return _badge(*VARIATION[icon]) if icon in VARIATION else None


def assurance_badge(icon: str | None) -> Markup | None:
    return _badge(*ASSURANCE[icon]) if icon in ASSURANCE else None
