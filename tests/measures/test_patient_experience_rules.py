"""Patient experience domain scores pinned on hand-made survey returns.

Raw returns (docs/sources.md shape) and a small item map stand in for the surveys and for
reference/pes_items.csv, so every expected number below is worked out by hand from them.
The weighted_mean statistic module is also checked on its own: hand cases, and agreement with
pipelines.stats.weighted_mean on respondent rows (the reference implementation it re-expresses
in sums).
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipelines import stats
from pipelines.measures.cell_statistics import weighted_mean
from pipelines.measures.equity import equity_rows
from pipelines.measures.measure_config import default_config
from pipelines.measures.run_sql import run_measure_sql
from pipelines.measures.tidy_rows import group_sets, publish
from pipelines.warehouse import execute, run_staging_sql

QUARTERS = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
T_975_DF2 = 4.302652729749462        # Student's t, 97.5th percentile, 2 df (tables: 4.303)

# survey, item, domain, answer_code, answer_label, score — score '' = non-evaluative (NULL)
ITEMS = [
    *[("inpatient", "q01", "communication", code, label, score) for code, label, score in [
        ("1", "yes, always", "10"), ("2", "mostly", "7.5"), ("3", "sometimes", "5"),
        ("4", "rarely", "2.5"), ("5", "never", "0"), ("6", "don't know", "")]],
    *[("inpatient", "q02", "communication", code, label, score) for code, label, score in [
        ("1", "yes, completely", "10"), ("2", "to some extent", "5"), ("3", "no", "0"),
        ("4", "not applicable", "")]],
    *[("inpatient", "q03", "partnership", code, label, score) for code, label, score in [
        ("1", "yes", "10"), ("2", "no", "0")]],
    *[("primary_care", "q01", "coordination", code, label, score) for code, label, score in [
        ("1", "yes", "10"), ("2", "no", "0"), ("3", "can't remember", "")]],
]

RESPONDENT = {"respondent_id": pl.String, "survey": pl.String, "survey_quarter": pl.String,
              "dhb_code": pl.String, "ethnic_group": pl.String, "age_group": pl.String,
              "sex": pl.String, "weight": pl.Float64}


def respondent(rid, weight=1.0, quarter="2024Q2", dhb="011", ethnic="Māori", survey="inpatient",
               **answers):
    row = {"respondent_id": rid, "survey": survey, "survey_quarter": quarter, "dhb_code": dhb,
           "ethnic_group": ethnic, "age_group": "45-64", "sex": "F", "weight": weight}
    n_items = 20 if survey == "inpatient" else 16
    row.update({f"q{i:02d}": answers.get(f"q{i:02d}") for i in range(1, n_items + 1)})
    return row


def load_surveys(con, inpatient, primary_care=(), quarters=QUARTERS, status="pass"):
    items = pl.DataFrame(ITEMS, schema=["survey", "item", "domain", "answer_code", "answer_label",
                                        "score"], orient="row")
    con.register("_items", items)
    execute(con, "CREATE OR REPLACE TABLE ref.pes_items AS SELECT * REPLACE "
                 "(TRY_CAST(NULLIF(score, '') AS DOUBLE) AS score) FROM _items")
    con.unregister("_items")
    for table, rows, n_items in (("pes_inpatient", inpatient, 20),
                                 ("pes_primary_care", primary_care, 16)):
        schema = {**RESPONDENT, **{f"q{i:02d}": pl.Int32 for i in range(1, n_items + 1)}}
        con.register("_rows", pl.DataFrame(list(rows), schema=schema))
        execute(con, f"CREATE OR REPLACE TABLE raw.{table} AS "
                     "SELECT *, survey_quarter AS _period FROM _rows")
        con.unregister("_rows")
        for q in quarters:
            execute(con, "INSERT OR REPLACE INTO meta.period_status VALUES (?, ?, ?, [], now())",
                    [table, q, status])


@pytest.fixture
def pes(con):
    config = default_config()
    measure = config.measure("patient_experience")

    def run(inpatient, primary_care=(), **kwargs):
        # _common.sql's macros read staging.population; this measure has no population.
        execute(con, "CREATE OR REPLACE TABLE staging.population (year INTEGER, district_code VARCHAR, "
                     "age_lower INTEGER, age_upper INTEGER, sex VARCHAR, group4_id VARCHAR, "
                     "slm3_id VARCHAR, population INTEGER)")
        load_surveys(con, inpatient, primary_care, **kwargs)
        run_staging_sql(con, "pes_answers")
        run_measure_sql(con, measure)
        cells = group_sets(con, measure)
        rows = publish(con, measure, config, cells)
        return rows, cells

    return run


def row(rows, breakdown="inpatient:communication", group="maori", district="011"):
    sel = rows.filter((pl.col("district_code") == district) & (pl.col("group_id") == group)
                      & (pl.col("breakdown") == breakdown))
    assert sel.height == 1
    return sel.row(0, named=True)


# Four Māori inpatients in Northland, 2024Q2, each showing one scoring rule:
#   A  w=3  q01 sometimes (5), q02 not applicable (dropped)  → 5      (not (5+0)/2 = 2.5)
#   B  w=1  q01 always (10), q02 unanswered                  → 10
#   C  w=1  q01 never (0), q02 no (0)                        → 0
#   D  w=1  q01 always (10), q02 no (0)                      → 5      (mean of answered items)
#   E  w=5  q01 don't know, q02 not applicable               → no score: not a respondent here
#   F  w=2  partnership only                                 → not in communication
# Communication: Σw·s = 3·5 + 10 + 0 + 5 = 30 over 4 respondents, Σw = 6, value 30/6 = 5.
# Kish n_eff = 6²/(9+1+1+1) = 3. Σw(s−5)² = 0 + 25 + 25 + 0 = 50; s_w² = 50/(6 − 12/6) = 12.5.
# Half-width = t(0.975; 2)·√12.5/√3 = 4.302652729749462 × 2.041241452 = 8.782757.
HAND_CASE = [
    respondent("A", 3.0, q01=3, q02=4),
    respondent("B", 1.0, q01=1),
    respondent("C", 1.0, q01=5, q02=3),
    respondent("D", 1.0, q01=1, q02=3),
    respondent("E", 5.0, q01=6, q02=4),
    respondent("F", 2.0, q03=1),
]


def test_domain_score_weighting_and_ci_by_hand(pes):
    rows, _ = pes(HAND_CASE)
    r = row(rows)
    assert r["numerator"] == pytest.approx(30.0)          # sum of weighted scores
    assert r["denominator"] == 4                           # respondents with a score (not E, F)
    assert r["value"] == pytest.approx(5.0)
    half = T_975_DF2 * math.sqrt(12.5) / math.sqrt(3)
    assert half == pytest.approx(8.782757, rel=1e-6)
    assert r["lower_ci"] == pytest.approx(5.0 - half, rel=1e-9)
    assert r["upper_ci"] == pytest.approx(5.0 + half, rel=1e-9)
    assert r["suppressed"] is True                         # 4 < 30 respondents
    assert r["suppression_reason"] == "fewer than 30 respondents"


def test_partnership_scored_separately(pes):
    rows, _ = pes(HAND_CASE + [respondent("G", 1.0, q03=2)])
    r = row(rows, "inpatient:partnership")
    # F (w=2) yes = 10, G (w=1) no = 0: (2·10 + 0)/3
    assert (r["numerator"], r["denominator"]) == (pytest.approx(20.0), 2)
    assert r["value"] == pytest.approx(20 / 3)


def test_every_survey_domain_district_group_cell_exists(pes):
    rows, cells = pes(HAND_CASE)
    window = rows.filter(pl.col("period_end") == rows["period_end"].max())
    domains = default_config().measure("patient_experience").settings["domains"]
    assert set(window["breakdown"]) == {f"{s}:{d}" for s in ("inpatient", "primary_care") for d in domains}
    # 21 districts (20 + New Zealand) × 6 groups × 8 breakdowns, zero cells included
    assert window.height == 21 * 6 * 8
    empty = row(rows, "inpatient:coordination")
    assert (empty["denominator"], empty["value"], empty["method"]) == (0, None, "no respondents")


def test_groups_and_national_sum_weighted_sums(pes):
    european = respondent("H", 2.0, dhb="022", ethnic="European or Other", q01=2, q02=2)  # 7.5, 5 → 6.25
    rows, _ = pes(HAND_CASE + [european])
    total = row(rows, group="total", district="000")
    # (30 + 2·6.25) / (6 + 2) over 5 respondents
    assert (total["numerator"], total["denominator"]) == (pytest.approx(42.5), 5)
    assert total["value"] == pytest.approx(42.5 / 8)
    assert row(rows, group="nmnp", district="022")["value"] == pytest.approx(6.25)


def test_primary_care_rolls_on_its_own_quarters(pes):
    pc = [respondent("P1", 1.0, survey="primary_care", q01=1),
          respondent("P2", 1.0, survey="primary_care", q01=3),        # can't remember: no score
          respondent("P3", 1.0, survey="primary_care", quarter="2024Q4", q01=2)]
    rows, _ = pes(HAND_CASE, pc)
    r = row(rows, "primary_care:coordination")
    assert (r["numerator"], r["denominator"], r["value"]) == (pytest.approx(10.0), 2, pytest.approx(5.0))


def test_a_respondent_outside_the_window_is_not_counted(pes):
    late = respondent("Z", 1.0, quarter="2025Q1", q01=5)
    rows, _ = pes(HAND_CASE + [late], quarters=QUARTERS + ["2025Q1"])
    to_2024 = rows.filter(pl.col("period_end") == pl.date(2024, 12, 31))
    to_2025q1 = rows.filter(pl.col("period_end") == pl.date(2025, 3, 31))
    assert row(to_2024)["denominator"] == 4
    assert row(to_2025q1)["denominator"] == 5                # 2024Q2–2025Q1 holds A–D and Z


def test_suppression_at_thirty_respondents(pes):
    def group(n, ethnic):
        return [respondent(f"{ethnic[:2]}{i}", 1.0, ethnic=ethnic, q01=1) for i in range(n)]
    rows, _ = pes(group(29, "Māori") + group(30, "Pacific"))
    assert row(rows, group="maori")["suppressed"] is True
    assert row(rows, group="pacific")["suppressed"] is False


def test_a_blocked_quarter_withholds_only_that_surveys_windows(con, pes):
    rows, _ = pes(HAND_CASE, [respondent("P1", survey="primary_care", q01=1)])
    execute(con, "UPDATE meta.period_status SET status = 'blocked', blocking_rules = ['pes_bad_weight'] "
                 "WHERE source_id = 'pes_inpatient' AND period = '2024Q3'")
    config = default_config()
    measure = config.measure("patient_experience")
    run_measure_sql(con, measure)
    rows = publish(con, measure, config)
    assert row(rows)["status"] == "withheld" and row(rows)["value"] is None
    assert "pes_bad_weight" in row(rows)["status_reason"]
    assert row(rows, "primary_care:coordination")["status"] == "published"


def test_equity_difference_vs_nmnp_and_no_ratio(con, pes):
    # Māori: HAND_CASE, m₁ = 5, v₁ = s²/n_eff = 12.5/3.
    # nMnP: four European respondents, weight 1, scores 10, 5, 7.5, 7.5 (q01 = 1, 3, 2, 2):
    #   m₀ = 30/4 = 7.5; Σ(s − 7.5)² = 6.25 + 6.25 + 0 + 0 = 12.5; s² = 12.5/3; v₀ = s²/4 = 25/24.
    # d = 5 − 7.5 = −2.5; SE = √(12.5/3 + 25/24) = √(125/24) = 2.2821773.
    # Welch df = (125/24)² / ((12.5/3)²/2 + (25/24)²/3) = 27.126736 / (8.680556 + 0.361690) = 3.0
    #   exactly: 27.126736/9.042245 = 3 → t(0.975; 3) = 3.182446305 (tables: 3.182).
    european = [respondent(f"E{i}", 1.0, ethnic="European or Other", q01=a)
                for i, a in enumerate([1, 3, 2, 2])]
    rows, cells = pes(HAND_CASE + european)
    measure = default_config().measure("patient_experience")
    eq = equity_rows(cells, rows, measure, "nmnp", 0.95)
    r = eq.filter((pl.col("district_code") == "011") & (pl.col("group_id") == "maori")
                  & (pl.col("breakdown") == "inpatient:communication")).row(0, named=True)
    se = math.sqrt(125 / 24)
    assert se == pytest.approx(2.2821773, rel=1e-7)
    assert r["rate_difference"] == pytest.approx(-2.5)
    assert r["rd_lower"] == pytest.approx(-2.5 - 3.182446305 * se, rel=1e-8)
    assert r["rd_upper"] == pytest.approx(-2.5 + 3.182446305 * se, rel=1e-8)
    assert r["rate_ratio"] is None and r["rr_lower"] is None
    assert "no ratio" in r["method"]
    assert r["suppressed"] is True                      # both sides under 30 respondents


# --- the statistic module on its own ---------------------------------------------------------

def _cells(groups: dict[str, list[tuple[float, float]]]) -> pl.DataFrame:
    """Cells of one window × district × breakdown from (weight, score) respondents per group."""
    return pl.DataFrame([{
        "period_start": None, "period_end": None, "district_code": "011", "group_id": g,
        "breakdown": "inpatient:communication", "stratum": "",
        "numerator": sum(w * s for w, s in resp), "denominator": len(resp),
        "sum_weight": sum(w for w, _ in resp), "sum_weight_sq": sum(w * w for w, _ in resp),
        "sum_weighted_score_sq": sum(w * s * s for w, s in resp),
        "withheld": False, "blocking_rules": [],
    } for g, resp in groups.items()], schema_overrides={"period_start": pl.Date, "period_end": pl.Date})


def test_one_respondent_has_a_value_but_no_interval():
    out = weighted_mean.compute(_cells({"maori": [(2.0, 7.5)]}), None, 0.95).row(0, named=True)
    assert out["value"] == 7.5 and out["lower_ci"] is None and out["upper_ci"] is None


def test_equal_scores_give_a_zero_width_interval():
    out = weighted_mean.compute(_cells({"maori": [(1.0, 8.0), (3.0, 8.0), (0.5, 8.0)]}), None, 0.95)
    assert out.row(0, named=True)["lower_ci"] == pytest.approx(8.0)
    assert out.row(0, named=True)["upper_ci"] == pytest.approx(8.0)


def test_equal_weights_reduce_to_the_phe_mean():
    scores = [10.0, 7.5, 5.0, 10.0, 2.5]
    ours = weighted_mean.compute(_cells({"maori": [(1.7, s) for s in scores]}), None, 0.95).row(0, named=True)
    phe = stats.mean(pl.DataFrame({"s": scores}), "s").row(0, named=True)
    assert ours["value"] == pytest.approx(phe["value"], rel=1e-12)
    assert ours["lower_ci"] == pytest.approx(phe["lowercl"], rel=1e-12)
    assert ours["upper_ci"] == pytest.approx(phe["uppercl"], rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.05, 20.0), st.sampled_from([0.0, 2.5, 5.0, 6.25, 7.5, 10.0])),
                min_size=2, max_size=40))
def test_sums_agree_with_stats_weighted_mean_on_respondent_rows(respondents):
    # All-equal scores are pinned above (zero width). There stats.weighted_mean's deviations are
    # rounding noise that a small-df t quantile magnifies: [(10.36, 6.25), (0.5, 6.25)] gets a
    # half-width of 0.015 from it, so that case is not a fair comparison.
    assume(len({s for _, s in respondents}) > 1)
    ours = weighted_mean.compute(_cells({"maori": respondents}), None, 0.95).row(0, named=True)
    frame = pl.DataFrame(respondents, schema=["w", "s"], orient="row")
    ref = stats.weighted_mean(frame, "s", "w").row(0, named=True)
    assert ours["value"] == pytest.approx(ref["value"], rel=1e-9, abs=1e-9)
    if ref["lowercl"] is None or math.isnan(ref["lowercl"]):
        assert ours["lower_ci"] is None
    else:
        assert ours["lower_ci"] == pytest.approx(ref["lowercl"], rel=1e-6, abs=1e-6)
        assert ours["upper_ci"] == pytest.approx(ref["uppercl"], rel=1e-6, abs=1e-6)
