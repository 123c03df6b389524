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

-- Every window of source `src` × district × ethnic group: the frame every measure's cells fill.
CREATE OR REPLACE MACRO window_cells(src, n_periods, months_per_period) AS TABLE
SELECT
    w.period_start, w.period_end, w.withheld, w.blocking_rules,
    d.code3 AS district_code, g.group_id AS group4_id
FROM rolling_windows(src, n_periods, months_per_period) w
CROSS JOIN ref.districts d
CROSS JOIN ref.ethnic_groups g;

-- Cells of a crude population rate from counts already summed per window: every window ×
-- district × ethnic group of source `src`, zero where `counts_table` (period_end, district_code,
-- group4_id, numerator) has no row; denominator: the population aged age_min–age_max in the
-- window's population year.
CREATE OR REPLACE MACRO population_rate_cells_from_counts(counts_table, src, n_periods, months_per_period,
                                                          age_min, age_max) AS TABLE
SELECT
    c.*, '' AS breakdown, '' AS stratum,
    coalesce(n.numerator, 0) AS numerator,
    p.population AS denominator
FROM window_cells(src, n_periods, months_per_period) c
LEFT JOIN query_table(counts_table) n
       ON n.period_end = c.period_end AND n.district_code = c.district_code AND n.group4_id = c.group4_id
LEFT JOIN population_in_ages(age_min, age_max) p
       ON p.year = population_year(c.period_end) AND p.district_code = c.district_code
      AND p.group4_id = c.group4_id;

-- The same from counts per period: `counts_table` (period, district_code, group4_id, numerator)
-- holds counts per period label of source `src`; a window's numerator sums its periods.
CREATE OR REPLACE MACRO population_rate_cells_per_period(counts_table, src, n_periods, months_per_period,
                                                         age_min, age_max) AS TABLE
WITH window_counts AS (
    SELECT w.period_end, c.district_code, c.group4_id, sum(c.numerator) AS numerator
    FROM query_table(counts_table) c
    JOIN rolling_windows(src, n_periods, months_per_period) w
      ON period_start(c.period) BETWEEN w.period_start AND w.period_end
    GROUP BY ALL
)
SELECT * FROM population_rate_cells_from_counts('window_counts', src, n_periods, months_per_period,
                                                age_min, age_max);

-- Cells of a crude population rate over rolling 12-month windows of source `src`. Numerator: rows
-- of `event_table` (one per counted event, with district_code, group4_id and event_date) dated
-- inside the window; denominator: the population aged age_min–age_max in the window's population
-- year.
CREATE OR REPLACE MACRO population_rate_cells(event_table, src, age_min, age_max) AS TABLE
WITH event_counts AS (
    SELECT w.period_end, e.district_code, e.group4_id, count(*) AS numerator
    FROM query_table(event_table) e
    JOIN rolling_windows(src, 4, 3) w ON e.event_date BETWEEN w.period_start AND w.period_end
    GROUP BY ALL
)
SELECT * FROM population_rate_cells_from_counts('event_counts', src, 4, 3, age_min, age_max);

-- Every window × district × ethnic group of source `src`, with numerator and denominator from
-- `counts_table` (period_end, district_code, group4_id, numerator, denominator) and zero where it
-- has no row: the cells of a proportion.
CREATE OR REPLACE MACRO zero_filled_cells(counts_table, src, n_periods, months_per_period) AS TABLE
SELECT
    c.*, '' AS breakdown, '' AS stratum,
    coalesce(n.numerator, 0) AS numerator,
    coalesce(n.denominator, 0) AS denominator
FROM window_cells(src, n_periods, months_per_period) c
LEFT JOIN query_table(counts_table) n
       ON n.period_end = c.period_end AND n.district_code = c.district_code AND n.group4_id = c.group4_id;

-- The NMDS event rules the hospital measures share, each a switch in measures.yaml.
-- An event of a type the measure counts (event_types).
CREATE OR REPLACE MACRO counted_event_type(event_type) AS
    list_contains(getvariable('event_types'), event_type);

-- A transfer in, when a continuous stay should count once (exclude_transfers_in).
CREATE OR REPLACE MACRO excluded_transfer_in(admission_source) AS
    getvariable('exclude_transfers_in') AND admission_source = 'T';

-- A short-stay emergency department event, when they are excluded (exclude_ssed,
-- ssed_specialties, ssed_max_los_days).
CREATE OR REPLACE MACRO excluded_short_stay_ed(health_specialty, los_days) AS
    getvariable('exclude_ssed')
    AND list_contains(getvariable('ssed_specialties'), health_specialty)
    AND los_days <= getvariable('ssed_max_los_days');

-- Funded as the measure requires (publicly_funded_only, public_purchaser_codes).
CREATE OR REPLACE MACRO funded_as_required(purchaser_code) AS
    NOT getvariable('publicly_funded_only')
    OR list_contains(getvariable('public_purchaser_codes'), purchaser_code);

-- The four together: the events ASH and youth self-harm count.
CREATE OR REPLACE MACRO counted_nmds_event(event_type, admission_source, health_specialty, los_days,
                                           purchaser_code) AS
    counted_event_type(event_type)
    AND NOT excluded_transfer_in(admission_source)
    AND NOT excluded_short_stay_ed(health_specialty, los_days)
    AND funded_as_required(purchaser_code);
