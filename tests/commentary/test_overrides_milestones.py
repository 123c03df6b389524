"""Analyst overrides (dated, replacing the draft, errors naming file and line) and the milestone gap."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipelines.commentary import apply_overrides, events_to_reach, read_overrides
from pipelines.commentary.overrides import OverrideError

DRAFTS = pl.DataFrame({
    "district_code": ["011", "011", "023"], "measure_id": ["ash_0_4", "amenable_mortality", "ash_0_4"],
    "period_end": [date(2025, 12, 31)] * 3, "paragraph": ["Draft A.", "Draft B.", "Draft C."],
    "fact_ids": [["011:ash_0_4:value"], [], []], "status": ["draft"] * 3,
})


def _write(folder, name, text):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_a_dated_override_replaces_the_draft(tmp_path):
    _write(tmp_path, "011.md", "# Northland\nnotes for colleagues\n\n## ash_0_4\nDate: 2026-02-14\n\n"
                               "Admissions fell after the\nwinter programme.\n\nSecond paragraph.\n")
    overrides = read_overrides(tmp_path, ["011", "023"], ["ash_0_4", "amenable_mortality"])
    shown = apply_overrides(DRAFTS, overrides)
    ash = shown.filter((pl.col("district_code") == "011") & (pl.col("measure_id") == "ash_0_4")).row(0, named=True)
    assert ash["text"] == "Admissions fell after the winter programme.\n\nSecond paragraph."
    assert (ash["status"], ash["override_date"], ash["stale"]) == ("override", date(2026, 2, 14), False)
    assert ash["draft"] == "Draft A."        # the draft is kept beside it
    others = shown.filter(pl.col("status") == "draft")["text"].to_list()
    assert others == ["Draft B.", "Draft C."]


def test_an_override_older_than_the_data_is_flagged_stale(tmp_path):
    _write(tmp_path, "023-counties-manukau.md", "## ash_0_4\nDate: 2025-11-01\nOld words.\n")
    shown = apply_overrides(DRAFTS, read_overrides(tmp_path))
    row = shown.filter(pl.col("district_code") == "023").row(0, named=True)
    assert (row["text"], row["stale"]) == ("Old words.", True)


def test_no_folder_means_no_overrides(tmp_path):
    assert read_overrides(tmp_path / "missing").is_empty()


@pytest.mark.parametrize("name, text, message", [
    ("011.md", "## ash_0_4\nOld words without a date.\n", "011.md, line 1: the first line under '## ash_0_4' must be 'Date: YYYY-MM-DD'"),
    ("011.md", "## ash_0_4\nDate: 14/02/2026\nWords.\n", "011.md, line 2: date '14/02/2026' is not YYYY-MM-DD"),
    ("011.md", "\n## ash_O_4\nDate: 2026-02-14\nWords.\n", "011.md, line 2: no measure 'ash_O_4'"),
    ("011.md", "## ash_0_4\nDate: 2026-02-14\n", "011.md, line 1: the override for ash_0_4 has no text"),
    ("011.md", "## ash_0_4\nDate: 2026-02-14\nA.\n## ash_0_4\nDate: 2026-02-15\nB.\n", "011.md, line 4: a second override"),
    ("999.md", "## ash_0_4\nDate: 2026-02-14\nA.\n", "999.md: no district with code 999"),
    ("northland.md", "## ash_0_4\nDate: 2026-02-14\nA.\n", "northland.md: file name must be <district code>.md"),
])
def test_mistakes_stop_the_run_naming_file_and_line(tmp_path, name, text, message):
    _write(tmp_path, name, text)
    with pytest.raises(OverrideError) as err:
        read_overrides(tmp_path, ["011", "023"], ["ash_0_4", "amenable_mortality"])
    assert message in str(err.value)


def test_events_to_reach_hand_computed():
    y = (date(2025, 1, 1), date(2025, 12, 31))
    # (1,000 − 900) per 100,000 × 36,000 children / 4 quarters = 9 a quarter
    gap = events_to_reach(1000.0, 900.0, 36_000, 100_000, *y, "lower_is_better")
    assert (gap.met, gap.events_per_period, gap.per, gap.change, gap.text) == (False, 9.0, "a quarter", "fewer", "9")
    # five-year windows: per year; higher is better: more
    gap = events_to_reach(60.0, 70.0, 5_000, 100, date(2021, 1, 1), date(2025, 12, 31), "higher_is_better")
    assert (gap.events_per_period, gap.per, gap.change) == (100.0, "a year", "more")
    assert events_to_reach(850.0, 900.0, 36_000, 100_000, *y, "lower_is_better").met
    # any shortfall prints at least one event
    assert events_to_reach(900.1, 900.0, 36_000, 100_000, *y, "lower_is_better").text == "1"
    with pytest.raises(ValueError):
        events_to_reach(1.0, 0.5, 0, 100_000, *y, "lower_is_better")
