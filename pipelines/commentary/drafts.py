"""Drafted commentary: one short paragraph per district × measure, in plain New Zealand English.

Templates only (no language model, no network). A sentence prints nothing but the text of its
facts (facts.py) and fixed words, and records the ids of the facts it used, so every number on
the page is in commentary_facts and traceable to its cell. A sentence whose facts are missing
(suppressed, withheld, too few points, no milestone) is replaced by one that says so, or left out.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from pipelines.commentary.facts import FactSet

DRAFT_COLUMNS = {
    "district_code": pl.String, "measure_id": pl.String, "period_end": pl.Date,
    "paragraph": pl.String, "fact_ids": pl.List(pl.String), "status": pl.String,
}
GROUP_NAMES = {"maori": "Māori", "pacific": "Pacific", "total": "everyone"}
COMPARATOR = "non-Māori non-Pacific people"
# What one "event" is, for "what would it take" (digits are never written here: see tests).
EVENT_NOUNS = {
    "ash_0_4": "admissions", "youth_self_harm": "admissions", "amenable_mortality": "deaths",
    "acute_bed_days": "bed days", "acute_bed_days_crude": "bed days", "acute_bed_days_who": "bed days",
    "youth_alcohol_ed": "ED presentations", "youth_alcohol_ed_share": "ED presentations",
    "youth_chlamydia_testing": "tests", "smokefree_6_weeks": "babies in smokefree homes",
    "youth_oral_health": "adolescents examined",
}
DECOMPOSITION_NAMES = {
    "ethnic_group": "by ethnic group (rates within groups and population mix)",
    "condition_group": "by condition group",
    "cause_group": "by cause group",
    "admissions_los": "into admissions and length of stay",
}
SPC_WORDS = {
    "common_cause": "common-cause variation only, so on its own the change looks like noise",
    "special_cause_improvement": "special-cause variation in the direction of improvement, a signal",
    "special_cause_concern": "special-cause variation in the direction of concern, a signal",
    "special_cause_neutral": "special-cause variation, a signal",
}


class Paragraph:
    """Sentences being drafted, and the ids of every fact they print."""

    def __init__(self, fs: FactSet):
        self.fs = fs
        self.sentences: list[str] = []
        self.used: list[str] = []

    def __getitem__(self, fact: str) -> str:
        if self.fs.id(fact) not in self.used:
            self.used.append(self.fs.id(fact))
        return self.fs.text(fact)

    def has(self, *facts: str) -> bool:
        return all(f in self.fs for f in facts)

    def say(self, sentence: str) -> None:
        self.sentences.append(sentence)


def draft_paragraphs(fact_sets: Mapping[tuple[str, str], FactSet]) -> pl.DataFrame:
    """One drafted paragraph per district × measure, with the ids of the facts it prints."""
    rows = []
    for (district, measure_id), fs in fact_sets.items():
        p = Paragraph(fs)
        _latest(p)
        _national(p)
        _change(p)
        _equity(p)
        _decomposition(p)
        _milestones(p, measure_id)
        _caveats(p)
        if p.sentences:
            period = fs.facts.get("period", {}).get("period_end")
            rows.append({"district_code": district, "measure_id": measure_id, "period_end": period,
                         "paragraph": " ".join(p.sentences), "fact_ids": p.used, "status": "draft"})
    return pl.DataFrame(rows, schema=DRAFT_COLUMNS)


def _noun(p: Paragraph) -> str:
    unit = p.fs.text("unit").lower() if p.has("unit") else ""
    if "percent" in unit:
        return "the percentage"
    if "score" in unit:
        return "the score"
    return "the rate" if "per" in unit else "the value"


def _latest(p: Paragraph) -> None:
    if p.has("withheld_period"):
        p.say(f"The {p['withheld_period']} is withheld ({p['withheld_reason']}).")
    if not p.has("period"):
        if not p.sentences:
            p.say("No period has been published for this measure yet.")
        return
    lead = (f"In the latest published period, the {p['period']}," if p.has("withheld_period")
            else f"In the {p['period']}")
    state = p["state"]
    if state == "suppressed":
        p.say(f"{lead} {_noun(p)} is suppressed ({p['suppression_reason']}), so it is not shown.")
        return
    ci = (f" ({p['confidence']} CI {p['lower_ci']} to {p['upper_ci']})"
          if p.has("lower_ci", "upper_ci", "confidence") else "")
    unit = f"({p['unit']})" if _noun(p) == "the score" else p["unit"]
    p.say(f"{lead} {_noun(p)} was {p['value']} {unit}{ci}.")


def _national(p: Paragraph) -> None:
    if not p.has("nz_value"):
        return
    if p.has("nz_comparison"):
        p.say(f"That is {p['nz_comparison']} New Zealand ({p['nz_value']}).")
    else:
        p.say(f"New Zealand's value was {p['nz_value']}.")


def _change(p: Paragraph) -> None:
    if not p.has("previous_period", "previous_state"):
        return
    if p["previous_state"] == "suppressed":
        p.say(f"The value for the {p['previous_period']} is suppressed "
              f"({p['previous_suppression_reason']}), so no change over the year is given.")
        return
    if p["previous_state"] == "withheld":
        p.say(f"The {p['previous_period']} is withheld, so no change over the year is given.")
        return
    if not p.has("change", "change_direction"):
        return
    brk = (" A series break falls between the two periods, so this is not a like-for-like change."
           if p.has("series_break") else "")
    if p["change_direction"] == "no change":
        p.say(f"It was the same in the {p['previous_period']} ({p['previous_value']}).{brk}")
        return
    if p.has("windows_overlap"):
        p.say(f"Since the {p['previous_period']} ({p['previous_value']}) it is a {p['change_direction']} "
              f"of {p['change']}; the two windows {p['windows_overlap']} most of their years, so the "
              f"change is not tested.{brk}")
        return
    signal = []
    if p.has("ci_overlap"):
        signal.append(f"the two years' intervals {p['ci_overlap']}")
    if p.has("spc"):
        signal.append(f"the SPC chart of the rolling series shows "
                      f"{SPC_WORDS.get(p['spc'], p['spc'].replace('_', ' '))}")
    else:
        signal.append("the series is too short for an SPC chart")
    p.say(f"Since the {p['previous_period']} ({p['previous_value']}) it is a {p['change_direction']} "
          f"of {p['change']}; {' and '.join(signal)}.{brk}")


def _equity(p: Paragraph) -> None:
    parts = []
    for g in ("maori", "pacific"):
        name = GROUP_NAMES[g]
        if p.has(f"rr_{g}_state"):
            parts.append(f"the {name} ratio is {p[f'rr_{g}_state']} (too few events or respondents)")
        elif p.has(f"rr_{g}", f"rr_{g}_previous", f"gap_{g}"):
            parts.append(f"for {name} it was {p[f'rr_{g}']} times that of {COMPARATOR} "
                         f"({p[f'rr_{g}_previous']} a year earlier), so the gap {p[f'gap_{g}']}")
        elif p.has(f"rr_{g}"):
            parts.append(f"for {name} it was {p[f'rr_{g}']} times that of {COMPARATOR}")
    if parts:
        text = "; ".join(parts)
        p.say(text[:1].upper() + text[1:] + ".")


def _decomposition(p: Paragraph) -> None:
    for kind, words in DECOMPOSITION_NAMES.items():
        if p.has(f"{kind}_top", f"{kind}_top_contribution", f"{kind}_top_direction"):
            p.say(f"Split {words}, the largest part of the change was {p[f'{kind}_top']}, which "
                  f"moved {_noun(p)} {p[f'{kind}_top_direction']} by {p[f'{kind}_top_contribution']}.")


def _milestones(p: Paragraph, measure_id: str) -> None:
    noun = EVENT_NOUNS.get(measure_id, "events")
    for g in ("total", "maori", "pacific"):
        key = f"milestone_{g}"
        if not p.has(key, f"{key}_label"):
            continue
        who = "" if g == "total" else f" for {GROUP_NAMES[g]}"
        current = f" (now {p[f'{key}_value']})" if p.has(f"{key}_value") else ""
        if p.has(f"{key}_met"):
            p.say(f"The milestone{who} for the {p[f'{key}_label']}, {p[key]}{current}, is already {p[f'{key}_met']}.")
        elif p.has(f"{key}_events", f"{key}_per", f"{key}_change"):
            p.say(f"Reaching the milestone{who} for the {p[f'{key}_label']}, {p[key]}{current}, would take "
                  f"about {p[f'{key}_events']} {p[f'{key}_change']} {noun} {p[f'{key}_per']}, "
                  "with the population unchanged.")


def _caveats(p: Paragraph) -> None:
    if p.has("definition_incomplete"):
        p.say(f"Caveat: the definition is {p['definition_incomplete']} (not every condition on the "
              "national list is coded), so the rate undercounts and should not be compared with "
              "published national figures.")
