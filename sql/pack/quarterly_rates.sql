-- Non-overlapping quarterly values of a crude population rate, for SPC (pack-methods §3.4:
-- XmR rules assume independent points; consecutive rolling 12-month windows share 9 months).
--
-- Series:      one per district (and New Zealand, district 000), all ethnic groups (total).
-- Numerator:   the measure's counted events (marts.<id>_events: one row per counted event, dated
--              by event_date) falling in the quarter, the same events the headline counts.
-- Denominator: the population of the rolling 12-month window ending at that quarter (the
--              headline's own denominator), divided by 4: person-years in one quarter.
-- Value:       numerator / (population / 4) × multiplier: an annualised rate on the headline scale.
-- Withheld:    a quarter the source blocked (meta.period_status) is returned with withheld = true
--              and must not be charted.
-- Parameters (bound by pipelines/dashboards/quarterly.py): events table, cells table, source id.
CREATE OR REPLACE TEMP MACRO pack_quarterly_rates(events_table, cells_table, src) AS TABLE
WITH quarters AS (
    SELECT period AS quarter,
           make_date(CAST(left(period, 4) AS INTEGER), 3 * CAST(right(period, 1) AS INTEGER) - 2, 1) AS q_start,
           status = 'blocked' AS withheld
    FROM meta.period_status
    WHERE source_id = src AND period LIKE '____Q_'
),
bounds AS (
    SELECT quarter, q_start, (q_start + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE AS period_end, withheld
    FROM quarters
),
events AS (
    SELECT b.period_end, e.district_code, count(*) AS numerator
    FROM query_table(events_table) e
    JOIN bounds b ON e.event_date BETWEEN b.q_start AND b.period_end
    GROUP BY ALL
),
population AS (
    SELECT period_end, district_code, CAST(sum(denominator) AS DOUBLE) AS population
    FROM query_table(cells_table)
    GROUP BY ALL
),
district_quarters AS (
    SELECT b.quarter, b.period_end, b.withheld, p.district_code,
           coalesce(e.numerator, 0) AS numerator, p.population
    FROM bounds b
    JOIN population p ON p.period_end = b.period_end
    LEFT JOIN events e ON e.period_end = b.period_end AND e.district_code = p.district_code
)
SELECT quarter, period_end, withheld, district_code, numerator, population FROM district_quarters
UNION ALL
SELECT quarter, period_end, withheld, '000', sum(numerator), sum(population)
FROM district_quarters
GROUP BY quarter, period_end, withheld;
