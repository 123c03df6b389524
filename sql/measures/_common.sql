-- Building blocks shared by every measure. Loaded before each measure's SQL.

-- First day of a period label: 2024Q3 → 2024-07-01, 2024H2 → 2024-07-01, 2024 → 2024-01-01.
CREATE OR REPLACE MACRO period_start(label) AS
    CASE
        WHEN label LIKE '%Q%' THEN make_date(CAST(left(label, 4) AS INTEGER), 3 * CAST(right(label, 1) AS INTEGER) - 2, 1)
        WHEN label LIKE '%H%' THEN make_date(CAST(left(label, 4) AS INTEGER), 6 * CAST(right(label, 1) AS INTEGER) - 5, 1)
        ELSE make_date(CAST(label AS INTEGER), 1, 1)
    END;

-- The estimated resident population used for a window: the 30 June inside a 12-month window,
-- or the 30 June of the window's year for shorter windows. [I]
CREATE OR REPLACE MACRO population_year(period_end) AS
    CASE WHEN month(period_end) >= 6 THEN year(period_end) ELSE year(period_end) - 1 END;

-- Windows of `n_periods` consecutive periods of one source, ending at each period the source has
-- loaded, kept only where every period in the window is loaded. A window is withheld when any of
-- its periods is blocked by a failed error-severity contract rule.
CREATE OR REPLACE MACRO rolling_windows(src, n_periods, months_per_period) AS TABLE
WITH loaded AS (
    SELECT period, period_start(period) AS starts, status, blocking_rules
    FROM meta.period_status
    WHERE source_id = src
)
SELECT
    (last.starts - to_months(months_per_period * (n_periods - 1)))::DATE  AS period_start,
    (last.starts + to_months(months_per_period) - INTERVAL 1 DAY)::DATE   AS period_end,
    last.period                                                           AS last_period,
    list(member.period ORDER BY member.starts)                            AS periods,
    bool_or(member.status = 'blocked')                                    AS withheld,
    list_distinct(flatten(list(member.blocking_rules)))                   AS blocking_rules
FROM loaded last
JOIN loaded member
  ON member.starts BETWEEN last.starts - to_months(months_per_period * (n_periods - 1)) AND last.starts
GROUP BY ALL
HAVING count(*) = n_periods;

-- Population of an age range in a district × ethnic group for a window's population year.
-- Only rows wholly inside the range count, so single years and 5-year bands both work.
CREATE OR REPLACE MACRO population_in_ages(age_min, age_max) AS TABLE
SELECT year, district_code, group4_id, sum(population) AS population
FROM staging.population
WHERE age_lower >= age_min AND age_upper <= age_max
GROUP BY ALL;

-- Cells of a crude population rate over rolling 12-month windows of source `src`: every window ×
-- district × ethnic group, zero counts included. Numerator: rows of `event_table` (one per counted
-- event, with district_code, group4_id and event_date) dated inside the window; denominator: the
-- population aged age_min–age_max in the window's population year.
CREATE OR REPLACE MACRO population_rate_cells(event_table, src, age_min, age_max) AS TABLE
WITH windows AS (SELECT * FROM rolling_windows(src, 4, 3)),
population AS (SELECT * FROM population_in_ages(age_min, age_max)),
events AS (
    SELECT w.period_end, e.district_code, e.group4_id, count(*) AS numerator
    FROM query_table(event_table) e
    JOIN windows w ON e.event_date BETWEEN w.period_start AND w.period_end
    GROUP BY ALL
)
SELECT
    w.period_start, w.period_end, w.withheld, w.blocking_rules,
    d.code3 AS district_code, g.group_id AS group4_id,
    '' AS breakdown, '' AS stratum,
    coalesce(ev.numerator, 0) AS numerator,
    p.population AS denominator
FROM windows w
CROSS JOIN ref.districts d
CROSS JOIN ref.ethnic_groups g
LEFT JOIN events ev
       ON ev.period_end = w.period_end AND ev.district_code = d.code3 AND ev.group4_id = g.group_id
LEFT JOIN population p
       ON p.year = population_year(w.period_end) AND p.district_code = d.code3 AND p.group4_id = g.group_id;

-- Every window × district × ethnic group of source `src`, with numerator and denominator from
-- `counts_table` (period_end, district_code, group4_id, numerator, denominator) and zero where it
-- has no row: the cells of a proportion.
CREATE OR REPLACE MACRO zero_filled_cells(counts_table, src, n_periods, months_per_period) AS TABLE
SELECT
    w.period_start, w.period_end, w.withheld, w.blocking_rules,
    d.code3 AS district_code, g.group_id AS group4_id,
    '' AS breakdown, '' AS stratum,
    coalesce(c.numerator, 0) AS numerator,
    coalesce(c.denominator, 0) AS denominator
FROM rolling_windows(src, n_periods, months_per_period) w
CROSS JOIN ref.districts d
CROSS JOIN ref.ethnic_groups g
LEFT JOIN query_table(counts_table) c
       ON c.period_end = w.period_end AND c.district_code = d.code3 AND c.group4_id = g.group_id;
