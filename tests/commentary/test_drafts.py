"""Drafted paragraphs: every number traced to a fact, every fact to its cell; suppression,
withholding, incomplete definitions and series breaks said in words, never as numbers."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines.commentary import build_facts, draft_paragraphs, facts_frame, facts_unmatched, numbers_untraced
from pipelines.commentary.facts import fact_sets_from_frame
from tests.commentary.builders import DEC24, DEC25, equity, equity_row, measure_row, measures, trend


@pytest.fixture
def tables():
    m = measures([
        measure_row("011", DEC24, 1200.0, lo=1100.0, hi=1300.0),
        measure_row("011", DEC25, 1000.0, lo=900.0, hi=1100.0),
        measure_row("000", DEC24, 950.0, lo=940.0, hi=960.0),
        measure_row("000", DEC25, 940.0, lo=930.0, hi=950.0),
        # Counties Manukau: last year suppressed in the mart (the value is still there)
        measure_row("023", DEC24, 3333.3, suppressed=True),
        measure_row("023", DEC25, 800.0, lo=700.0, hi=900.0),
    ])
    e = equity([equity_row("011", DEC25, "maori", 1.8), equity_row("011", DEC24, "maori", 2.1),
                equity_row("011", DEC25, "pacific", 4.4444, suppressed=True)])
    t = trend([("011", DEC25, "common_cause"), ("023", DEC25, "special_cause_improvement")])
    return m, e, t


def _drafts(m, e, t, **kw):
    facts = facts_frame(build_facts(m, e, t, **kw))
    return draft_paragraphs(fact_sets_from_frame(facts)), facts


def _paragraph(drafts, district, measure="ash_0_4"):
    return drafts.filter((pl.col("district_code") == district) & (pl.col("measure_id") == measure)).item(0, "paragraph")


def test_hand_computed_paragraph(tables):
    drafts, _ = _drafts(*tables)
    assert _paragraph(drafts, "011") == (
        "In the year to Dec 2025 the rate was 1,000.0 per 100,000 population (95% CI 900.0 to 1,100.0). "
        "That is similar to New Zealand (940.0). "
        "Since the year to Dec 2024 (1,200.0) it is a fall of 200.0; the two years' intervals overlap and "
        "the SPC chart of the rolling series shows common-cause variation only, so on its own the change "
        "looks like noise. "
        "For Māori it was 1.80 times that of non-Māori non-Pacific people (2.10 a year earlier), so the gap "
        "narrowed; the Pacific ratio is suppressed (too few events or respondents).")
    assert drafts["status"].unique().to_list() == ["draft"]


def test_every_number_is_a_fact_and_every_fact_is_its_cell(tables):
    m, e, t = tables
    drafts, facts = _drafts(m, e, t)
    assert numbers_untraced(drafts, facts) == []
    assert facts_unmatched(facts, m, e) == []
    # the check can fail: a paragraph with a number no fact holds, a fact that is not its cell
    tampered = drafts.with_columns(pl.col("paragraph").str.replace("1,200.0", "1,250.0"))
    assert numbers_untraced(tampered, facts)
    wrong = facts.with_columns(pl.when(pl.col("fact") == "value").then(pl.col("value") + 1)
                               .otherwise(pl.col("value")).alias("value"))
    assert facts_unmatched(wrong, m, e)


def test_suppressed_values_never_appear(tables):
    drafts, facts = _drafts(*tables)
    text = " ".join(drafts["paragraph"])
    assert "3,333.3" not in text and "3333" not in text and "4.44" not in text
    assert ("The value for the year to Dec 2024 is suppressed (fewer than 5 events), so no change over "
            "the year is given.") in _paragraph(drafts, "023")
    assert not facts.filter(pl.col("value").is_in([3333.3, 4.4444])).height


def test_latest_suppressed_says_why():
    m = measures([measure_row("011", DEC25, 2.0, suppressed=True), measure_row("000", DEC25, 940.0)])
    drafts, _ = _drafts(m, equity([]), trend([]))
    assert _paragraph(drafts, "011") == (
        "In the year to Dec 2025 the rate is suppressed (fewer than 5 events), so it is not shown.")


def test_withheld_latest_period_is_named_and_the_last_published_one_described():
    m = measures([
        measure_row("011", DEC24, 1200.0, lo=1100.0, hi=1300.0),
        measure_row("011", DEC25, None, status="withheld",
                    status_reason="contract rule failed: nmds_events.volume_drop; other note"),
        measure_row("000", DEC24, 1150.0, lo=1100.0, hi=1200.0),
    ])
    drafts, facts = _drafts(m, equity([]), trend([]))
    assert _paragraph(drafts, "011") == (
        "The year to Dec 2025 is withheld (contract rule failed: nmds_events.volume_drop). "
        "In the latest published period, the year to Dec 2024, the rate was 1,200.0 per 100,000 population "
        "(95% CI 1,100.0 to 1,300.0). That is similar to New Zealand (1,150.0).")
    assert numbers_untraced(drafts, facts) == []


def test_incomplete_definition_and_series_break_are_caveats():
    m = measures([
        measure_row("011", DEC24, 120.0, measure_id="amenable_mortality", definition_status="incomplete"),
        measure_row("011", DEC25, 100.0, measure_id="amenable_mortality", definition_status="incomplete"),
    ]).with_columns(pl.Series("series_break", [False, True]))
    drafts, facts = _drafts(m, equity([]), trend([], "amenable_mortality"))
    text = _paragraph(drafts, "011", "amenable_mortality")
    assert ("Since the five years to Dec 2024 (120.0) it is a fall of 20.0; the two windows share most of "
            "their years, so the change is not tested. A series break falls between the two periods, so this "
            "is not a like-for-like change.") in text
    assert text.endswith("Caveat: the definition is incomplete (not every condition on the national list is "
                         "coded), so the rate undercounts and should not be compared with published national "
                         "figures.")
    assert numbers_untraced(drafts, facts) == []


def test_no_series_break_column_is_fine(tables):
    m, e, t = tables
    assert "series_break" not in m.columns
    drafts, _ = _drafts(m, e, t)
    assert "series break" not in " ".join(drafts["paragraph"])


def test_milestone_sentences_from_hand_built_targets(tables):
    m, e, t = tables
    # 1,000 per 100,000 among 36,000 children → target 900 needs 100 × 36,000 / 100,000 / 4 = 9 a quarter
    m = m.with_columns(pl.when(pl.col("district_code") == "011").then(36_000.0)
                       .otherwise(pl.col("denominator")).alias("denominator"))
    maori = measure_row("011", DEC25, 1500.0, group="maori", denominator=6_000.0)
    pacific = measure_row("011", DEC25, 700.0, group="pacific", denominator=6_000.0)
    m = pl.concat([m, measures([maori, pacific])], how="vertical_relaxed")
    targets = pl.DataFrame({  # the pack's targets shape; the 2025 milestone is past, so 2027's is next
        "district_code": ["011"] * 4, "measure_id": ["ash_0_4"] * 4, "year": [2025, 2027, 2027, 2027],
        "group": ["total", "total", "maori", "pacific"], "milestone": [100.0, 900.0, 1300.0, 800.0],
        "period_end": [date(2025, 6, 30)] + [date(2027, 6, 30)] * 3})
    drafts, facts = _drafts(m, e, t, targets=targets)
    text = _paragraph(drafts, "011")
    assert ("Reaching the milestone for the year to Jun 2027, 900.0, would take about 9 fewer admissions "
            "a quarter, with the population unchanged.") in text
    # 200 × 6,000 / 100,000 / 4 = 3
    assert ("Reaching the milestone for Māori for the year to Jun 2027, 1,300.0 (now 1,500.0), would take "
            "about 3 fewer admissions a quarter") in text
    assert "The milestone for Pacific for the year to Jun 2027, 800.0 (now 700.0), is already met." in text
    assert numbers_untraced(drafts, facts) == []
    assert facts_unmatched(facts, m, e) == []


def test_headline_breakdown_for_a_measure_without_an_overall_series():
    rows = [measure_row("011", end, v, measure_id="patient_experience", unit="score out of 10",
                        multiplier=None, direction="higher_is_better") for end, v in ((DEC24, 7.5), (DEC25, 7.9))]
    m = measures(rows).with_columns(pl.lit("inpatient:communication").alias("breakdown"))
    drafts, facts = _drafts(m, equity([]), trend([], "patient_experience"),
                            headlines={"patient_experience": "inpatient:communication"})
    assert _paragraph(drafts, "011", "patient_experience").startswith(
        "In the year to Dec 2025 the score was 7.90 (score out of 10) (95% CI 7.11 to 8.69).")
    assert facts_unmatched(facts, m, equity([])) == []
    assert numbers_untraced(drafts, facts) == []
    assert _drafts(m, equity([]), trend([], "patient_experience"))[0].is_empty()   # no headline named


def test_an_unverifiable_paragraph_is_withheld_not_shown(tables):
    from pipelines.commentary.verify import WITHHELD_TEXT, unverified_paragraphs, withhold_unverified

    m, e, t = tables
    drafts, facts = _drafts(m, e, t)
    wrong = facts.with_columns(pl.when(pl.col("fact_id") == "011:ash_0_4:value").then(999.0)
                               .otherwise(pl.col("value")).alias("value"))
    bad = unverified_paragraphs(drafts, wrong, m, e)
    assert bad == {("011", "ash_0_4")}
    shown = withhold_unverified(drafts, bad)
    assert _paragraph(shown, "011") == WITHHELD_TEXT
    assert _paragraph(shown, "023") == _paragraph(drafts, "023")
    assert unverified_paragraphs(drafts, facts, m, e) == set()
