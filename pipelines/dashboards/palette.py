"""One palette for every dashboard: equity-group colours, labels and order, plus status colours.

Group colours avoid the SPC signal hues (blue = improvement, orange = concern) so a special-cause
ring never reads as a group. Each colour has ≥ 3:1 contrast on white (WCAG non-text contrast);
TEXT_* colours have ≥ 4.5:1 for body text. Colours drawn together stay ≥ 10 ΔE (CAM02-UCS) apart
under simulated deuteranopia, protanopia and tritanopia (tests/dashboards/test_accessibility.py).
"""

from __future__ import annotations

# Display order: the three SLM equity groups and the total first, then the optional groups.
GROUP_ORDER: tuple[str, ...] = ("maori", "pacific", "nmnp", "total", "asian", "european_other")

GROUP_LABELS: dict[str, str] = {
    "maori": "Māori",
    "pacific": "Pacific",
    "nmnp": "non-Māori non-Pacific",
    "total": "Total",
    "asian": "Asian",
    "european_other": "European/Other",
}

GROUP_COLOURS: dict[str, str] = {
    "maori": "#A4243B",  # deep red
    "pacific": "#00796B",  # teal
    "nmnp": "#5E4B9C",  # violet
    "total": "#1F2933",  # near-black
    "asian": "#8C6D1F",  # olive brown
    "european_other": "#D81B60",  # raspberry (slate #56707F was ΔE 7 from teal for deuteranopes)
}
OTHER_GROUP_COLOUR = "#6B6B6B"

# Shown by default on trend charts; the rest start hidden (legendonly) but one click away.
DEFAULT_VISIBLE_GROUPS: frozenset[str] = frozenset({"maori", "pacific", "nmnp", "total"})

NATIONAL_COLOUR = "#8A8A8A"

# NHS "Making Data Count" convention: blue = improvement, orange = concern, purple = neutral.
SPC_COLOURS: dict[str, str] = {
    "special_cause_improvement": "#1F6FB2",
    "special_cause_concern": "#C86400",  # #E07B00 had 3.0:1 on white, under WCAG's non-text 3:1
    "special_cause_neutral_high": "#7B3294",
    "special_cause_neutral_low": "#7B3294",
}
SPC_LABELS: dict[str, str] = {
    "special_cause_improvement": "special cause — improvement",
    "special_cause_concern": "special cause — concern",
    "special_cause_neutral_high": "special cause — high (neutral)",
    "special_cause_neutral_low": "special cause — low (neutral)",
}

# District vs national comparison (comparisons.compare_with_benchmark's keys) on the overview
# forest plots; each category also has its own legend name, and lower/higher their own symbols.
COMPARISON_COLOURS: dict[str, str] = {
    "better": "#1F6FB2",
    "worse": "#C45A00",
    "similar": "#595959",
    "lower": "#7B3294",
    "higher": "#7B3294",
    "not_compared": "#595959",
}

TEXT_COLOUR = "#1F2933"
MUTED_TEXT_COLOUR = "#4A5560"  # 7.4:1 on white
GRID_COLOUR = "#E3E7EB"
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


def group_label(group_id: str) -> str:
    return GROUP_LABELS.get(group_id, group_id.replace("_", " ").capitalize())


def group_colour(group_id: str) -> str:
    return GROUP_COLOURS.get(group_id, OTHER_GROUP_COLOUR)


def group_sort_key(group_id: str) -> tuple[int, str]:
    """Known groups in GROUP_ORDER, then any other group alphabetically (deterministic)."""
    try:
        return (GROUP_ORDER.index(group_id), "")
    except ValueError:
        return (len(GROUP_ORDER), group_id)


def rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
