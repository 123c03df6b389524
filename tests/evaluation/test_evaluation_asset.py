"""The Dagster asset on a real DuckDB warehouse with planted effects: table, export, suppression.

The warehouse holds what the asset reads (tests/evaluation/planted_warehouse.py): ASH 0–4 events
from the generator's planted model for 2021Q1–2025Q4, one row each, with a −25 % level change
planted from 2024Q1 in Counties Manukau (023), all groups.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.defs.evaluation import initiative_estimates
from pipelines.defs.resources import Warehouse
from pipelines.evaluation.pack import district_panels, initiative_figure, initiative_sentences
from pipelines.synthetic.calendar import Quarter
from pipelines.synthetic.plants import PlantedChange

from .planted_warehouse import write_planted_warehouse

REGISTER = """initiative_id,initiative_name,district_code,measure_id,group_id,start_quarter,end_quarter,expected_direction,expected_change_pct
pathway,Respiratory pathway,023,ash_0_4,total,2024Q1,,decrease,-25
pathway,Respiratory pathway,023,ash_0_4,pacific,2024Q1,,decrease,-25
tiny,Tiny pilot,111,ash_0_4,pacific,2024Q1,2024Q2,decrease,-10
"""
PLANT = PlantedChange("ash_0_4", Quarter.parse("2024Q1"), -0.25, 0.0, "023", "total")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluation")
    counts = write_planted_warehouse(root / "warehouse.duckdb", seed=4, plants=(PLANT,),
                                     blocked=("2025Q3",))
    (root / "register.csv").write_text(REGISTER, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("SLM_INITIATIVES", str(root / "register.csv"))
    try:
        wh = Warehouse(database=str(root / "warehouse.duckdb"), landing=str(root / "landing"),
                       dashboards=str(root / "dashboards"), exports=str(root / "exports"))
        result = dg.materialize([initiative_estimates], resources={"warehouse": wh})
    finally:
        mp.undo()
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        estimates = con.sql("SELECT * FROM marts.initiative_estimates").pl()
        series = con.sql("SELECT * FROM marts.initiative_series").pl()
    return {"result": result, "estimates": estimates, "series": series, "root": root,
            "counts": counts}


def row(estimates, initiative, group, method):
    return estimates.filter((pl.col("initiative_id") == initiative) & (pl.col("group_id") == group)
                            & (pl.col("method") == method)).row(0, named=True)


def test_asset_materialises_and_the_planted_change_is_inside_every_interval(run):
    assert run["result"].success
    for method in ("its", "did", "synthetic_control"):
        r = row(run["estimates"], "pathway", "total", method)
        assert r["status"] == "estimated"
        # One seed: the fall is detected and estimated near −25 % (how often the interval holds
        # the planted value is the repeated-seed test's job, test_recovery.py).
        assert r["level_upper_pct"] < 0, method
        assert abs(r["level_change_pct"] + 25) < 10, method
    did = row(run["estimates"], "pathway", "total", "did")
    assert did["comparator"] == "18 districts without the initiative"  # not 023, not 111
    assert did["parallel_trends_p"] is not None
    prefs = run["estimates"].filter((pl.col("initiative_id") == "pathway")
                                    & (pl.col("group_id") == "total"))["preferred_comparator"]
    assert prefs.to_list().count(True) == 1


def test_a_blocked_quarter_is_left_out_not_counted_as_zero(run):
    r = row(run["estimates"], "pathway", "total", "its")
    assert (r["pre_quarters"], r["post_quarters"], r["last_quarter"]) == (12, 7, "2025Q4")
    assert "2025Q3" not in run["series"]["quarter"].to_list()
    # observed post events = the planted counts of the seven unblocked post quarters
    c = run["counts"].filter((pl.col("district_code") == "023")
                             & (pl.col("quarter") >= "2024Q1") & (pl.col("quarter") != "2025Q3"))
    assert r["observed_events_post"] == c["events"].sum()


def test_small_numbers_are_suppressed_and_the_end_quarter_ends_the_series(run):
    tiny = run["estimates"].filter(pl.col("initiative_id") == "tiny")
    assert tiny["post_quarters"].to_list() == [2] * 3  # 2024Q1–2024Q2: the end quarter ends it
    c = run["counts"].filter((pl.col("district_code") == "111") & (pl.col("group_id") == "pacific"))
    post = c.filter(pl.col("quarter").is_in(["2024Q1", "2024Q2"]))["events"].sum()
    assert post < 5  # West Coast Pacific children: about one ASH admission in two quarters
    for r in tiny.iter_rows(named=True):
        assert r["status"] == "suppressed"
        assert r["status_reason"] == "fewer than 5 events before or after the start"
        assert r["level_change_pct"] is None and r["events_difference"] is None
        assert r["observed_events_post"] is None
    shown = run["series"]["observed_events"].drop_nulls()
    assert shown.min() >= 5  # quarters with fewer than 5 events are not shown


def test_the_export_is_the_table(run):
    exported = pl.read_parquet(run["root"] / "exports" / "slm_initiative_estimates.parquet")
    assert exported.equals(run["estimates"])
    assert not {"nhi_encrypted", "date_of_birth"} & set(exported.columns)


def test_every_number_in_the_pack_sentences_is_in_the_estimates_table(run):
    import re

    est = run["estimates"]
    for (_ini, group), rows in est.group_by("initiative_id", "group_id"):
        sentences = initiative_sentences(rows, "ASH admissions", group, "Counties Manukau")
        assert sentences
        text = " ".join(sentences)
        quarters = set(re.findall(r"\b\d{4}Q[1-4]\b", text))
        assert quarters <= {v for c in ("start_quarter", "end_quarter", "last_quarter")
                            for v in rows[c].to_list() if v}
        allowed = set()
        for r in rows.iter_rows(named=True):
            for _k, v in r.items():
                if isinstance(v, float) and np.isfinite(v):
                    allowed |= {f"{abs(v):,.0f}", f"{abs(v) * 100:.0f}"}
                elif isinstance(v, int) and not isinstance(v, bool):
                    allowed.add(f"{v}")
                elif isinstance(v, str):  # caveats and reasons are table text too
                    allowed |= set(re.findall(r"\d[\d,]*", v))
        for number in re.findall(r"\d[\d,]*", re.sub(r"\b\d{4}Q[1-4]\b", "", text)):
            assert number in allowed, (number, text)


def test_pack_figure_marks_the_start_and_the_panel_goes_to_each_district(run):
    est, ser = run["estimates"], run["series"]
    rows = est.filter((pl.col("initiative_id") == "pathway") & (pl.col("group_id") == "total"))
    part = ser.filter((pl.col("initiative_id") == "pathway") & (pl.col("group_id") == "total"))
    fig = initiative_figure(part, rows, "Respiratory pathway")
    assert [s.x0 for s in fig.layout.shapes] == ["2024-01-01"]
    assert {t.name for t in fig.data} >= {"Observed (quarter)", "Expected from comparison districts"}
    panels = district_panels(est, ser, {"ash_0_4": "ASH 0–4"}, {"023": "Counties Manukau"})
    assert sorted(panels) == ["023", "111"] and len(panels["023"]) == 2
