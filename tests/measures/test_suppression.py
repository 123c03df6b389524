"""Complementary suppression and the attacker that checks it, on hand-built tables.

The attacker (pipelines.measures.attack) must find what naive primary suppression leaves
recoverable; after complementary suppression (pipelines.measures.suppression) it must find
nothing. Counts are chosen by hand so each case has one known answer.
"""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

from pipelines.measures.attack import attack, breakdowns_add_up, main, recoverable, windows_independent
from pipelines.measures.suppression import complementary

YEAR = (date(2024, 4, 1), date(2025, 3, 31))
GROUPS = ["maori", "pacific", "nmnp", "total", "asian", "european_other"]


def table(counts: dict[str, dict[str, int]], window=YEAR, breakdown: str = "", with_nz: bool = True) -> pl.DataFrame:
    """Rows for district → {maori, pacific, asian, european_other}; nMnP, total and New Zealand
    ('000') are summed from them, as _group_sets.sql does."""
    rows = []
    nz = dict.fromkeys(["maori", "pacific", "asian", "european_other"], 0)
    for d, c in counts.items():
        full = {**c, "nmnp": c["asian"] + c["european_other"],
                "total": c["maori"] + c["pacific"] + c["asian"] + c["european_other"]}
        for g in GROUPS:
            rows.append((d, window[0], window[1], g, breakdown, float(full[g])))
        for g in nz:
            nz[g] += c[g]
    if with_nz:
        full = {**nz, "nmnp": nz["asian"] + nz["european_other"], "total": sum(nz.values())}
        rows += [("000", window[0], window[1], g, breakdown, float(full[g])) for g in GROUPS]
    return pl.DataFrame(rows, schema=["district_code", "period_start", "period_end", "group_id", "breakdown",
                                      "numerator"], orient="row")


def published(rows: pl.DataFrame, suppressed: pl.Series, measure_id: str = "ash_0_4") -> pl.DataFrame:
    """The export's view: suppressed rows lose their numerator (sql/publish/measures_export.sql)."""
    return rows.with_columns(
        pl.lit(measure_id).alias("measure_id"), suppressed.alias("suppressed"),
        pl.lit(1000.0).alias("denominator"),
        pl.when(suppressed).then(None).otherwise(pl.col("numerator")).alias("numerator"))


def protect(rows: pl.DataFrame, threshold: int = 5) -> tuple[pl.Series, pl.Series]:
    primary = rows["numerator"] < threshold
    return primary, complementary(rows, primary, "numerator")


NORTHLAND = {  # the case: total 18, Māori 8, nMnP 6, Pacific 4 suppressed
    "001": {"maori": 8, "pacific": 4, "asian": 1, "european_other": 5},
    "002": {"maori": 40, "pacific": 12, "asian": 30, "european_other": 90},
    "003": {"maori": 25, "pacific": 9, "asian": 14, "european_other": 60},
}


def test_the_attacker_recovers_what_primary_suppression_leaves():
    rows = table(NORTHLAND)
    primary = rows["numerator"] < 5
    findings = attack(published(rows, primary))
    found = {(f.district_code, f.group_id) for f in findings}
    # Pacific = 18 − 8 − 6 = 4; Asian = nMnP 6 − European/Other 5 = 1.
    assert found == {("001", "pacific"), ("001", "asian")}


def test_complementary_suppression_leaves_nothing_recoverable():
    rows = table(NORTHLAND)
    primary, secondary = protect(rows)
    hidden = rows.filter(primary | secondary).select("district_code", "group_id").rows()
    assert attack(published(rows, primary | secondary)) == []
    # By hand: Pacific 4 in total = Māori + Pacific + nMnP → the smaller part nMnP (6) joins it;
    # Asian 1 in nMnP = Asian + European/Other → European/Other (5). Then New Zealand's Pacific
    # and European/Other columns have one hidden district each → the smallest other district
    # (003: Pacific 9, European/Other 60), whose rows then need a second hidden cell in turn.
    assert {("001", "pacific"), ("001", "nmnp"), ("001", "asian"), ("001", "european_other"),
            ("003", "pacific"), ("003", "european_other")} <= set(hidden)
    assert not secondary.filter(primary).any()          # secondary never re-labels a primary cell
    assert ("000", "total") not in hidden                # the grand total stays published


def test_random_tables_are_safe_after_suppression():
    """pack-methods §4.2's check: random district × group tables, counts from {0…5, 7, 9, 15,
    30, 80, 200}; primary alone exposes cells, primary + complementary exposes none."""
    rng = random.Random(8)
    exposed_before = 0
    for _ in range(12):
        counts = {f"{d:03d}": {g: rng.choice([0, 1, 2, 3, 4, 5, 7, 9, 15, 30, 80, 200])
                               for g in ("maori", "pacific", "asian", "european_other")}
                  for d in range(1, rng.randint(3, 9))}
        rows = table(counts)
        primary, secondary = protect(rows)
        exposed_before += len(attack(published(rows, primary)))
        assert attack(published(rows, primary | secondary)) == []
    assert exposed_before > 0


def test_the_audit_finds_a_bridge_the_line_rule_misses():
    """Two suppression cycles joined by one cell: every relation has two hidden members, yet
    the joining cell is determined (pack-methods §4.2: a bridge in the row × column graph)."""
    counts = {f"{d:03d}": {"maori": 50, "pacific": 50, "asian": 50, "european_other": 50} for d in range(1, 5)}
    rows = table(counts)
    hide = {("001", "maori"), ("001", "pacific"), ("002", "maori"), ("002", "pacific"),   # cycle 1
            ("003", "nmnp"), ("003", "total"), ("004", "nmnp"), ("004", "total"),         # cycle 2
            ("003", "asian"), ("003", "european_other"), ("004", "asian"), ("004", "european_other"),
            ("003", "pacific")}                                                           # the bridge
    hidden = pl.Series([(d, g) in hide for d, g in rows.select("district_code", "group_id").rows()])
    positions = recoverable(rows.select("district_code", "period_start", "period_end", "group_id", "breakdown")
                            .with_columns(hidden.alias("hidden")), breakdowns_add_up=False)
    assert [rows.row(i, named=True)["district_code"] + ":" + rows.row(i, named=True)["group_id"]
            for i in positions] == ["003:pacific"]


def test_breakdowns_that_add_up_to_the_headline_are_protected():
    """Amenable mortality's condition groups partition its headline: a hidden condition group
    is headline − the other groups unless a second one is hidden."""
    per = {"cancers": 30, "cvd_diabetes": 3, "other_chronic": 20}
    rows = pl.concat([table({"001": {"maori": n, "pacific": n, "asian": n, "european_other": n}}, breakdown=b)
                      for b, n in per.items()]
                     + [table({"001": {"maori": 53, "pacific": 53, "asian": 53, "european_other": 53}})])
    export = published(rows, rows["numerator"] < 5, "amenable_mortality")
    assert breakdowns_add_up(export)
    assert any(f.breakdown == "cvd_diabetes" for f in attack(export))
    primary, secondary = protect(rows)
    assert attack(published(rows, primary | secondary, "amenable_mortality")) == []


def test_a_window_tiled_by_shorter_ones_is_protected():
    """A calendar year published beside its two halves: year − one half = the other half."""
    h1, h2, year = (date(2024, 1, 1), date(2024, 6, 30)), (date(2024, 7, 1), date(2024, 12, 31)), \
        (date(2024, 1, 1), date(2024, 12, 31))
    first = {"001": {"maori": 3, "pacific": 20, "asian": 20, "european_other": 20},
             "002": {"maori": 20, "pacific": 20, "asian": 20, "european_other": 20}}
    second = {d: {g: 10 for g in c} for d, c in first.items()}
    whole = {d: {g: first[d][g] + second[d][g] for g in c} for d, c in first.items()}
    rows = pl.concat([table(first, h1), table(second, h2), table(whole, year)])
    assert not windows_independent(rows.select("period_start", "period_end").unique())
    primary, secondary = protect(rows)
    assert attack(published(rows, primary | secondary)) == []
    # Year = H1 + H2 with H1's Māori (3) hidden: the part H2 (10) is hidden, not the year.
    hidden = rows.with_columns((primary | secondary).alias("h")).filter(
        (pl.col("district_code") == "001") & (pl.col("group_id") == "maori"))
    assert hidden.filter((pl.col("period_start") == h2[0]) & (pl.col("period_end") == h2[1]))["h"].item()


def test_rolling_windows_of_one_length_are_independent():
    starts = [date(2024, m, 1) for m in (1, 4, 7, 10)]
    ends = [date(2024, 12, 31), date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30)]
    assert windows_independent(pl.DataFrame({"period_start": starts, "period_end": ends}))


def test_measures_with_the_same_numerator_suppress_the_same_cells():
    """Youth alcohol ED rate and share publish one numerator: patterns must agree, or one
    measure would publish what the other hides. The attacker checks exactly that."""
    rows = table({**NORTHLAND, **{f"{d:03d}": {"maori": 30 + d, "pacific": 3, "asian": 20, "european_other": 50}
                                  for d in range(4, 8)}})
    primary, secondary = protect(rows)
    rate = published(rows, primary | secondary, "youth_alcohol_ed")
    share = published(rows, primary | secondary, "youth_alcohol_ed_share").with_columns(
        pl.lit(77.0).alias("denominator"))
    assert attack(pl.concat([rate, share])) == []
    # Had the share used primary suppression only, its numerators would expose the rate's.
    careless = published(rows, primary, "youth_alcohol_ed_share")
    findings = attack(pl.concat([rate, careless]))
    assert {f.measure_id for f in findings} >= {"youth_alcohol_ed"}
    assert any("numerator published as youth_alcohol_ed_share" in f.how for f in findings)


def test_an_unknown_share_numerator_is_its_denominator_minus_the_known():
    """smokefree_6_weeks_unknown: unknown = all babies − babies with a known status. With both
    denominators published the attacker recovers it; hiding the suppressed cells' denominator
    (suppression_hides_denominator) stops that."""
    known = table({f"{d:03d}": {g: 40 + d for g in ("maori", "pacific", "asian", "european_other")}
                   for d in range(1, 6)})
    unknown = table({f"{d:03d}": {g: (3 if (d, g) == (1, "maori") else 9 + d)
                                  for g in ("maori", "pacific", "asian", "european_other")} for d in range(1, 6)})
    primary, secondary = protect(unknown)
    hidden = primary | secondary
    sf = published(known, pl.Series([False] * known.height), "smokefree_6_weeks").with_columns(
        pl.col("numerator").alias("denominator"))
    unk = published(unknown, hidden, "smokefree_6_weeks_unknown").with_columns(
        (pl.Series(unknown["numerator"]) + pl.Series(known["numerator"])).alias("denominator"))
    leaky = attack(pl.concat([sf, unk]))
    assert any("denominator − smokefree_6_weeks's" in f.how for f in leaky)
    safe = unk.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("denominator"))
                            .alias("denominator"))
    assert attack(pl.concat([sf, safe])) == []


def test_the_command_exits_1_on_a_recoverable_cell(tmp_path, capsys):
    rows = table(NORTHLAND)
    leaky, safe = tmp_path / "leaky.parquet", tmp_path / "safe.csv"
    published(rows, rows["numerator"] < 5).write_parquet(leaky)
    primary, secondary = protect(rows)
    published(rows, primary | secondary).write_csv(safe)
    assert main([str(leaky)]) == 1
    assert "2 recoverable" in capsys.readouterr().out
    assert main([str(safe)]) == 0


@pytest.mark.parametrize("threshold", [5, 10])
def test_secondary_cells_are_never_below_the_threshold_when_a_larger_one_exists(threshold):
    """Complements are the smallest published part, and every published cell is ≥ threshold."""
    rows = table(NORTHLAND)
    primary, secondary = protect(rows, threshold)
    assert (rows.filter(secondary)["numerator"] >= threshold).all()


def test_the_complements_do_not_depend_on_the_order_rows_arrive_in():
    """Rows come out of DuckDB and polars group-bys in no fixed order; the same cells must be
    hidden whatever the order, or a published figure changes between two runs of the same data."""
    rng = random.Random(11)
    for _ in range(12):
        counts = {f"{d:03d}": {g: rng.choice([0, 1, 2, 3, 4, 5, 7, 9, 15, 30, 80, 200])
                               for g in ("maori", "pacific", "asian", "european_other")}
                  for d in range(1, rng.randint(3, 9))}
        rows = table(counts)
        hidden_sets = set()
        for seed in range(4):
            shuffled = rows.sample(fraction=1.0, shuffle=True, seed=seed)
            primary, secondary = protect(shuffled)
            hidden_sets.add(frozenset(shuffled.filter(primary | secondary)
                                      .select("district_code", "group_id").rows()))
        assert len(hidden_sets) == 1
