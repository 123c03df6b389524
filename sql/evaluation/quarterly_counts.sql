-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Quarterly counts for evaluating initiatives (pipelines/evaluation, docs/evaluation.md)
--
-- Why quarters    The published measures use rolling 12-month windows, which overlap: three of
--                 every four quarters are shared by consecutive windows, so their values are
--                 correlated and a regression on them would overstate the evidence. Interrupted
--                 time series and difference-in-differences need non-overlapping periods.  [C]
-- Numerator       The measure's counted events (marts.<measure>_events: one row per event,
--                 dated by event_date, the same rows the measure counts) in the quarter, by
--                 district of domicile × reporting group (ref.report_groups).
-- Denominator     Estimated resident population in the measure's ages at 30 June of the
--                 quarter's calendar year (staging.population via population_in_ages). Used as
--                 the model's offset, so it stands for person-time; one quarter is a quarter of
--                 a year for every row, which the model's intercept absorbs.                   [I]
-- Quarters        Loaded quarters of the source; a quarter blocked by a failed error-severity
--                 contract rule is left out (withheld), never counted as zero.
-- Needs           the macros in sql/measures/_common.sql (period_start, population_in_ages).
-- ════════════════════════════════════════════════════════════════════════════════════════════
CREATE OR REPLACE MACRO evaluation_quarterly_counts(event_table, src, age_min, age_max) AS TABLE
WITH quarters AS (
    SELECT period AS quarter, period_start(period) AS quarter_start,
           (period_start(period) + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE AS quarter_end
    FROM meta.period_status
    WHERE source_id = src AND status <> 'blocked' AND period LIKE '%Q%'
),
members AS (
    SELECT group_id, unnest(string_split(members, '|')) AS group4_id FROM ref.report_groups
),
events AS (
    SELECT q.quarter, e.district_code, e.group4_id, count(*) AS events
    FROM query_table(event_table) e
    JOIN quarters q ON e.event_date BETWEEN q.quarter_start AND q.quarter_end
    GROUP BY ALL
),
population AS (SELECT * FROM population_in_ages(age_min, age_max))
SELECT q.quarter, q.quarter_start, d.code3 AS district_code, m.group_id,
       sum(coalesce(ev.events, 0))::DOUBLE AS events,
       sum(p.population)::DOUBLE AS population
FROM quarters q
CROSS JOIN ref.districts d
CROSS JOIN members m
LEFT JOIN events ev
       ON ev.quarter = q.quarter AND ev.district_code = d.code3 AND ev.group4_id = m.group4_id
LEFT JOIN population p
       ON p.year = year(q.quarter_start) AND p.district_code = d.code3 AND p.group4_id = m.group4_id
GROUP BY ALL
ORDER BY district_code, group_id, q.quarter_start;
