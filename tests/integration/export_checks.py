"""Every published value of the CSV export recomputes from its own row (issue 9), on the small
preset run through every Dagster job: crude values as numerator / denominator × multiplier,
weighted means as numerator / weight_sum, indirectly standardised rates as numerator / expected
× reference_rate. Directly standardised rates, whose age bands the export leaves out, are
recomputed from the warehouse cells with the standard population their row names.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.measures.cell_statistics.direct_who import standard_weights
from pipelines.measures.export_check import check, read_export
from pipelines.measures.export_dictionary import FILE_NAME
from pipelines.measures.measure_config import default_config

# Collected in test_end_to_end.py, whose module provides the `run` fixture: one pipeline run of
# the small preset serves both, instead of a second 10-minute run on another worker.

@pytest.fixture(scope="module")
def exported(run) -> pl.DataFrame:
    return read_export(run["settings"].exports / "slm_measures.csv")


def test_every_published_value_recomputes_from_its_row(exported):
    checked = check(exported)
    dsr = pl.col("value_formula").str.starts_with("Σ over age bands")
    assert checked.filter(~dsr)["recomputed"].null_count() == 0      # every non-DSR row has a formula
    wrong = checked.filter(~dsr & ~pl.col("reproduces"))
    assert wrong.select("measure_id", "district_code", "group_id", "value", "recomputed").rows() == []
    # Every statistic is present, so none of the formulas is checked vacuously.
    formulas = set(checked["value_formula"].str.split(" ").list.slice(0, 3).list.join(" "))
    assert {"numerator / denominator", "numerator / weight_sum", "numerator / expected",
            "Σ over age"} <= formulas


def test_patient_experience_reproduces_where_respondents_do_not(exported):
    """The published numerator is Σ weight × score and the denominator respondents (HQMNZ), so
    numerator / denominator is not the value unless the weights average 1; weight_sum is."""
    pe = check(exported.filter(pl.col("measure_id") == "patient_experience"))
    assert pe.height > 0 and pe["reproduces"].all()
    by_respondents = (pe["numerator"] / pe["denominator"] - pe["value"]).abs()
    assert (by_respondents > 1e-6).any()          # the old puzzle exists in this data too


def test_dsr_values_recompute_from_cells_and_the_named_standard(run, exported):
    config = default_config()
    with duckdb.connect(str(run["settings"].warehouse), read_only=True) as con:
        for measure_id in ("amenable_mortality", "acute_bed_days_who"):
            measure = config.measure(measure_id)
            rows = exported.filter((pl.col("measure_id") == measure_id) & pl.col("value").is_not_null()
                                   ).with_columns(pl.col("breakdown").fill_null(""))
            assert rows.height > 0 and rows["standard_population"].str.contains(
                measure.settings["standard_population"]).all()
            weights = standard_weights(measure.settings["standard_population"])
            bands = con.sql(f"""
                WITH members AS (SELECT group_id, unnest(string_split(members, '|')) AS group4_id
                                 FROM ref.report_groups)
                SELECT c.period_end, CASE WHEN grouping(c.district_code) = 1 THEN '000'
                                          ELSE c.district_code END AS district_code,
                       m.group_id, c.breakdown, split_part(c.stratum, '|', 1) AS age_band,
                       sum(c.numerator)::DOUBLE AS x, sum(c.denominator)::DOUBLE AS n
                FROM marts.{measure_id}_cells c JOIN members m USING (group4_id)
                WHERE split_part(c.stratum, '|', 1) <> 'unknown'
                GROUP BY GROUPING SETS ((c.period_end, c.district_code, m.group_id, c.breakdown, age_band),
                                        (c.period_end, m.group_id, c.breakdown, age_band))""").pl()
            # Hand formula: Σ w x/n / Σ w × multiplier, the weights of the measure's bands.
            dsr = (bands.join(weights, on="age_band").with_columns(
                       pl.when(pl.col("n") > 0).then(pl.col("weight") * pl.col("x") / pl.col("n"))
                       .otherwise(0.0).alias("wr"))
                   .group_by("period_end", "district_code", "group_id", "breakdown")
                   .agg((pl.col("wr").sum() / pl.col("weight").sum() * measure.multiplier).alias("hand")))
            joined = rows.with_columns(pl.col("period_end").str.to_date()).join(
                dsr, on=["period_end", "district_code", "group_id", "breakdown"], how="left")
            assert joined["hand"].null_count() == 0, measure_id
            assert ((joined["hand"] - joined["value"]).abs() <= 1e-9 * joined["value"].abs()).all(), measure_id


def test_export_says_comparator_confidence_and_method_in_words(run, exported):
    published = exported.filter(pl.col("value").is_not_null())
    assert set(published["confidence_level"]) == {"95%"}
    assert published["ci_method"].null_count() == 0
    assert "Wilson score interval for a proportion" in set(published["ci_method"])
    assert set(published["comparator"].drop_nulls()) == {
        "non-Māori non-Pacific (nmnp): slm_equity compares each group with it"}
    equity = read_export(run["settings"].exports / "slm_equity.csv")
    assert set(equity["comparator"]) == {"non-Māori non-Pacific (nmnp)"}
    assert set(equity["confidence_level"]) == {"95%"}


def test_data_dictionary_beside_the_export_covers_every_column(run, exported):
    dictionary = pl.read_csv(run["settings"].exports / FILE_NAME)
    equity = read_export(run["settings"].exports / "slm_equity.csv")
    for table, frame in (("slm_measures", exported), ("slm_equity", equity)):
        described = dictionary.filter(pl.col("table") == table)
        assert described["column"].to_list() == frame.columns
        assert described["meaning"].str.len_chars().min() > 10


def test_definition_notes_and_headline_forms_reach_the_export(exported):
    def note(measure_id):
        return exported.filter(pl.col("measure_id") == measure_id)["definition_note"].unique().to_list()

    assert note("youth_alcohol_ed") == [None]
    assert exported.filter(pl.col("measure_id") == "youth_alcohol_ed")["unit"].unique().to_list() == [
        "percent of ED presentations"]
    assert "not an HQMNZ form" in note("youth_alcohol_ed_rate")[0]
    assert "not the stated 12–17" in note("youth_oral_health")[0]
    assert "instead of the 2001 Census Māori population" in note("amenable_mortality")[0]
