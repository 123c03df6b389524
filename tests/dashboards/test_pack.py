"""The pack's use of SPC, projection and comparisons, on hand-built series and a real DuckDB file.

The XmR rules and icon logic themselves are pinned in tests/stats; here each rule reaches the
first page through the pack (non-overlapping points → spc_result → icons and milestone target).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest
from conftest import ASH, measure_row, measures_frame, quarter_ends

from pipelines.dashboards.comparisons import FINGERTIPS
from pipelines.dashboards.frames import normalise_equity, normalise_measures
from pipelines.dashboards.pack import next_milestone, spc_result, tartan_rug
from pipelines.dashboards.quarterly import (
    POINT_COLUMNS,
    QUARTERLY_SQL,
    quarterly_points,
    special_cause_share,
)
from pipelines.dashboards.summary import measure_summary
from pipelines.dashboards.targets import TARGETS_SCHEMA, milestone_period_end

# Alternating values have constant moving ranges, so the limits are easy to place by hand:
# FLAT: mean 100, AMR 8, process limits 100 ± 2.66·8 = 78.7 … 121.3; no rule fires.
FLAT = [96, 104] * 7
BASE = [96, 104] * 6 + [96]  # 13 points, then one more that breaks a rule


def points(values: list[float | None], code: str = "023", measure_id: str = "ash_0_4") -> pl.DataFrame:
    ends = quarter_ends(len(values), last=date(2025, 12, 31))
    return pl.DataFrame({
        "district_code": code, "measure_id": measure_id, "period_end": ends,
        "period_label": [f"{d.year}Q{(d.month - 1) // 3 + 1}" for d in ends],
        "numerator": [v if v is not None else 3.0 for v in values],
        "population": 400_000.0, "value": values,
        "suppressed": [v is None for v in values], "withheld": False, "kind": "quarter",
    }, schema=POINT_COLUMNS)


def targets(*rows: tuple[str, str, int, str, float]) -> pl.DataFrame:
    return pl.DataFrame([
        {"district_code": d, "measure_id": m, "year": y, "group": g, "milestone": v, "note": None,
         "period_end": milestone_period_end(y)} for d, m, y, g, v in rows
    ], schema=TARGETS_SCHEMA)


NO_TARGETS = targets()
HEADLINE = measures_frame([measure_row(period_end=date(2025, 12, 31))])


def run(values, direction="lower_is_better", tg=NO_TARGETS):
    return spc_result("023", "ash_0_4", HEADLINE, points(values), direction, tg)


@pytest.mark.parametrize(("values", "rule", "icon"), [
    (BASE + [130], "Above UCL", "concern_high"),            # beyond the upper limit (123.1)
    (BASE + [70], "Below LCL", "improvement_low"),          # beyond the lower limit
    ([96, 104] * 4 + [96, 98, 99, 100, 101, 102, 103], "7 Point Trend (Increasing)", "concern_high"),
    # two of three between the near (105.6) and process (107.8) limits, all above the mean (101.1)
    ([101, 99] * 5 + [101, 106, 102, 106], "2 in 3 Above CL", "concern_high"),
    ([96, 104] * 3 + [96, 101, 102, 101, 102, 101, 102, 101], "7 Points Above CL",
     "concern_high"),                                       # shift: 7 above the mean (100.4)
])
def test_each_rule_reaches_the_first_page(values, rule, icon):
    r = run(values)
    chart = r["chart"]
    assert chart is not None and chart.height == len(values)
    assert chart.get_column("special_cause_rule")[-1] == rule
    assert r["icons"]["variation"] == icon
    assert 'aria-label="Special cause' in str(r["icons"]["html"])
    assert "special cause" in r["note"]


def test_common_cause_and_polarity():
    r = run(FLAT)
    assert r["icons"]["variation"] == "common_cause" and r["icons"]["assurance"] is None
    assert "0 special cause" in r["note"]
    # the same high point is improvement when higher is better
    assert run(BASE + [130], "higher_is_better")["icons"]["variation"] == "improvement_high"


@pytest.mark.parametrize(("milestone", "assurance"), [
    (125.0, "consistently_pass"),   # lower is better and the whole process sits below it (UPL 121.3)
    (75.0, "consistently_fail"),    # the whole process sits above it (LPL 78.7)
    (100.0, "hit_and_miss"),        # inside the process limits
])
def test_milestone_is_the_spc_target(milestone, assurance):
    tg = targets(("023", "ash_0_4", 2026, "total", milestone), ("023", "ash_0_4", 2027, "maori", 1.0))
    r = run(FLAT, tg=tg)
    assert r["icons"]["assurance"] == assurance
    assert r["chart"].get_column("target").unique().to_list() == [milestone]
    assert "Assurance against the 2026 milestone" in r["note"]


def test_next_milestone_is_the_first_due_after_the_latest_point():
    tg = targets(("023", "ash_0_4", 2025, "total", 1.0), ("023", "ash_0_4", 2027, "total", 2.0),
                 ("023", "ash_0_4", 2026, "total", 3.0))
    assert next_milestone(tg, "023", "ash_0_4", date(2025, 12, 31))["year"] == 2026
    assert next_milestone(tg, "023", "ash_0_4", date(2028, 1, 1))["year"] == 2027  # all past: last
    assert next_milestone(tg, "011", "ash_0_4", date(2025, 12, 31)) is None


def test_suppressed_quarter_breaks_the_series():
    r = run(FLAT[:3] + [None] + FLAT[:12])
    assert r["chart"].height == 12  # the run after the gap
    short = run(FLAT[:4] + [None] + FLAT[:11])
    assert short["chart"] is None and "fewer than 12" in short["note"]


def test_overlapping_series_gets_no_spc():
    rows = measures_frame([measure_row(period_end=d) for d in quarter_ends(14)])
    r = spc_result("023", "ash_0_4", normalise_measures(rows), None, "lower_is_better", NO_TARGETS)
    assert r["chart"] is None and "windows overlap" in r["note"]


def test_non_overlapping_published_series_is_charted():
    """Six-monthly windows (smokefree) do not overlap: SPC runs on the published values."""
    ends = [date(2019 + i // 2, 6 if i % 2 == 0 else 12, 30 if i % 2 == 0 else 31) for i in range(14)]
    rows = [measure_row(period_end=e, period_start=date(e.year, e.month - 5, 1), value=v,
                        lower_ci=v - 2, upper_ci=v + 2) for e, v in zip(ends, FLAT, strict=True)]
    r = spc_result("023", "smokefree_6_weeks", normalise_measures(measures_frame(rows)), None,
                   "higher_is_better", NO_TARGETS)
    assert r["kind"] == "period" and r["chart"].height == 14


# --- projection: synthetic data with a known trend ------------------------------------------

def test_projection_recovers_a_planted_trend():
    """Poisson quarterly counts with a planted −4 %/year trend: the fitted annual change's 95%
    interval contains −4 % in about 95% of runs, and the milestone date is reported."""
    truth = -0.04
    ends = quarter_ends(16, last=date(2025, 12, 31))
    pop = 250_000.0
    rate0 = 6000 / 100_000  # per person-year
    covered = 0
    runs = 60
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        t = np.arange(16) / 4
        counts = rng.poisson(rate0 * (1 + truth) ** t * pop / 4)
        pts = pl.DataFrame({
            "district_code": "023", "measure_id": "ash_0_4", "period_end": ends,
            "period_label": "q", "numerator": counts.astype(float), "population": pop,
            "value": counts / (pop / 4) * 100_000, "suppressed": False, "withheld": False,
            "kind": "quarter"}, schema=POINT_COLUMNS)
        tg = targets(("023", "ash_0_4", 2029, "total", 5200.0))
        r = spc_result("023", "ash_0_4", HEADLINE, pts, "lower_is_better", tg)
        s = r["projection"]["summary"]
        covered += s["annual_change_lowercl"] <= truth <= s["annual_change_uppercl"]
        assert s["points"] == 16 and s["milestone_year"] == 2029
        assert "2029 milestone" in s["text"] and "annual change" in s["text"]
    assert covered / runs >= 0.88  # nominal 95%; 60 runs leave room for chance
    # noise-free counts: the point estimate is the planted trend
    exact = (rate0 * (1 + truth) ** (np.arange(16) / 4) * pop / 4)
    pts = points(list(exact / (pop / 4) * 100_000)).with_columns(pl.Series("numerator", exact))
    s = spc_result("023", "ash_0_4", HEADLINE, pts.with_columns(population=pl.lit(pop)),
                   "lower_is_better", NO_TARGETS)["projection"]["summary"]
    assert s["annual_change"] == pytest.approx(truth, abs=1e-6)


# --- first-page row on hand-made marts ---------------------------------------------------------

def _rows():
    out = []
    for end, v, nz in ((date(2024, 12, 31), 900.0, 700.0), (date(2025, 12, 31), 600.0, 700.0)):
        out.append(measure_row(period_end=end, value=v, lower_ci=v - 60, upper_ci=v + 60))
        out.append(measure_row(period_end=end, district_code="000", district_name="New Zealand",
                               value=nz, lower_ci=nz - 5, upper_ci=nz + 5))
        out.append(measure_row(period_end=end, group_id="maori", value=v * 2, lower_ci=v * 1.8,
                               upper_ci=v * 2.2))
    return normalise_measures(measures_frame(out))


def _equity():
    rows = []
    for end, rr in ((date(2024, 12, 31), 2.5), (date(2025, 12, 31), 1.5)):
        for g in ("maori", "pacific"):
            rows.append({"district_code": "023", "measure_id": "ash_0_4", "breakdown": None,
                         "period_end": end, "group_id": g, "comparator_group": "nmnp",
                         "rate_ratio": rr, "rr_lower": rr / 1.15, "rr_upper": rr * 1.15,
                         "rate_difference": None, "rd_lower": None, "rd_upper": None,
                         "method": "wald_log", "suppressed": g == "pacific"})
    return normalise_equity(pl.DataFrame(rows, schema_overrides={"breakdown": pl.String}))


def test_summary_row_hand_computed():
    tg = targets(("023", "ash_0_4", 2025, "total", 650.0), ("023", "ash_0_4", 2027, "total", 500.0),
                 ("023", "ash_0_4", 2027, "maori_gap", 1.4))
    row = measure_summary("023", _rows(), _equity(), tg, None)
    assert row["value"] == "600.0" and row["ci"] == "540.0 to 660.0"
    # 600 vs 900: z = 300 / √2·(60/1.96) ≈ 6.9 → improved (lower is better)
    assert row["change"]["verdict"] == "improved" and row["change"]["detail"].startswith("−300.0")
    # NZ 700 outside 540–660 and the district is lower: better
    assert row["nz"]["key"] == "better" and row["nz"]["fill"] == FINGERTIPS["better"][0]
    ms = {(m["year"], m["group"]): m for m in row["milestones"]}
    # 2025 milestone judged on the window ending on or before 30 Jun 2025 → Dec 2024 value 900
    assert ms[(2025, "total")]["status"] == "not_met" and ms[(2025, "total")]["value"] == "900.0"
    assert ms[(2027, "total")]["status"] == "not_yet"  # not due; 600 > 500
    assert ms[(2027, "maori_gap")]["status"] == "not_yet"  # 1.5 is further from 1 than 1.4
    maori, pacific = row["equity"]
    # ln 1.5 − ln 2.5 = −0.51; se = √2 · ln(1.15²)/3.92 = 0.101 → narrowing
    assert maori["ratio"] == "1.50" and maori["direction"] == "narrowing"
    assert pacific["ratio"] == "s" and pacific["direction"] == "—"


def test_tartan_rug_colours_by_comparison():
    rug = tartan_rug(_rows(), [("023", "Counties Manukau")])
    (row,) = rug["rows"]
    assert row["measure_id"] == ASH["measure_id"] and row["nz"] == "700.0"
    assert row["cells"][0]["key"] == "better" and row["cells"][0]["text"] == "600.0"


# --- quarterly points from a real DuckDB file --------------------------------------------------

@pytest.fixture
def quarterly_db(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA meta; CREATE SCHEMA marts")
    quarters = [f"2024Q{q}" for q in range(1, 5)] + ["2025Q1", "2025Q2"]
    con.execute("CREATE TABLE meta.period_status (source_id VARCHAR, period VARCHAR, status VARCHAR)")
    for q in quarters:
        con.execute("INSERT INTO meta.period_status VALUES ('nmds_events', ?, ?)",
                    [q, "blocked" if q == "2025Q1" else "pass"])
    # events: district 011 has 12, 9 (blocked quarter), 3 (suppressed) in 2024Q4 … 2025Q2; 021 has 20 each
    events = []
    plan = {"011": {"2024Q4": 12, "2025Q1": 9, "2025Q2": 3}, "021": {"2024Q4": 20, "2025Q1": 20, "2025Q2": 20}}
    starts = {"2024Q4": date(2024, 10, 1), "2025Q1": date(2025, 1, 1), "2025Q2": date(2025, 4, 1)}
    for code, by_q in plan.items():
        for q, n in by_q.items():
            events += [(f"{code}-{q}-{i}", code, starts[q] + timedelta(days=i % 80)) for i in range(n)]
    con.execute("CREATE TABLE marts.ash_0_4_events (event_id VARCHAR, district_code VARCHAR, event_date DATE)")
    con.executemany("INSERT INTO marts.ash_0_4_events VALUES (?, ?, ?)", events)
    con.execute("""CREATE TABLE marts.ash_0_4_cells AS
        SELECT * FROM (VALUES (DATE '2024-12-31', '011', 'maori', 4000.0), (DATE '2024-12-31', '011', 'asian', 6000.0),
                              (DATE '2025-03-31', '011', 'maori', 4000.0), (DATE '2025-03-31', '011', 'asian', 6000.0),
                              (DATE '2025-06-30', '011', 'maori', 4000.0), (DATE '2025-06-30', '011', 'asian', 6000.0),
                              (DATE '2024-12-31', '021', 'maori', 20000.0), (DATE '2025-03-31', '021', 'maori', 20000.0),
                              (DATE '2025-06-30', '021', 'maori', 20000.0))
        t(period_end, district_code, group4_id, denominator)""")
    yield con
    con.close()


def test_quarterly_points_sql(quarterly_db):
    assert QUARTERLY_SQL.is_file()
    p = quarterly_points(quarterly_db, {"ash_0_4": 100_000.0}).sort("district_code", "period_end")
    got = {(r["district_code"], r["period_label"]): r for r in p.iter_rows(named=True)}
    # quarters without a rolling window population (2024Q1–Q3) are not points
    assert {q for _, q in got} == {"2024Q4", "2025Q1", "2025Q2"}
    # 20 events over a quarter of 20,000 people, annualised per 100,000
    assert got[("021", "2024Q4")]["value"] == pytest.approx(20 / (20_000 / 4) * 100_000)
    assert got[("011", "2025Q2")]["value"] is None and got[("011", "2025Q2")]["suppressed"]
    assert got[("011", "2025Q1")]["withheld"]  # blocked
    # 011 has a suppressed quarter, so none of its quarters is shown (they would reveal it by
    # subtraction from its published windows), and New Zealand's are hidden with it
    assert got[("011", "2024Q4")]["numerator"] == 12 and got[("011", "2024Q4")]["value"] is None
    # New Zealand sums the districts
    assert got[("000", "2024Q4")]["numerator"] == 32
    assert got[("000", "2024Q4")]["value"] is None and got[("000", "2024Q4")]["suppressed"]
    assert not any(math.isnan(r["value"]) for r in got.values() if r["value"] is not None)


def test_special_cause_share_counts_only_charted_district_points():
    pts = pl.concat([points(FLAT, "011"), points(BASE + [130], "021"), points(FLAT, "000"),
                     points(FLAT[:5], "022")])  # 022 too short to chart
    flagged, charted = special_cause_share(pts, {"ash_0_4": "lower_is_better"})
    assert (flagged, charted) == (1, 28)
    only_011 = pl.DataFrame({"district_code": ["011"], "measure_id": ["ash_0_4"]})
    assert special_cause_share(pts, {"ash_0_4": "lower_is_better"}, only_011) == (0, 14)


def test_quarters_that_would_reveal_a_suppressed_one_are_hidden():
    """Four quarters add up to a published window and districts add up to New Zealand, so a
    district with one suppressed quarter shows none, and New Zealand's quarters go too."""
    from pipelines.dashboards.quarterly import _hide_recoverable_series

    rows = [(d, q, n) for d, counts in {"011": [7, 3, 9, 8], "021": [20, 22, 19, 25],
                                        "000": [27, 25, 28, 33]}.items()
            for q, n in enumerate(counts)]
    points = pl.DataFrame(rows, schema=["district_code", "quarter", "numerator"], orient="row").with_columns(
        pl.col("numerator").cast(pl.Float64).alias("value"),
        ((pl.col("numerator") > 0) & (pl.col("numerator") < 5)).alias("suppressed"))
    shown = _hide_recoverable_series(points).filter(pl.col("value").is_not_null())
    assert sorted(set(shown["district_code"])) == ["021"]
    assert shown.height == 4 and not shown["suppressed"].any()
    # with nothing suppressed, every series stays
    clean = points.with_columns(pl.lit(False).alias("suppressed"))
    assert _hide_recoverable_series(clean)["value"].null_count() == 0
