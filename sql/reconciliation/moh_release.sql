-- marts.moh_reconciliation: our unit-record results beside the Ministry's own aggregates.
--
-- For each measure pair (Ministry sheet → our measure, set by pipelines/measures/reconciliation.py:
-- ash_0_4 → ash_0_4, acute_bed_days → acute_bed_days_crude), every district × group × period_end
-- that both sides cover gets three rows: numerator, denominator and rate.
--   ours      marts.measures (cells summed into groups and New Zealand '000' by publish); our
--             rate is numerator / denominator × multiplier, so withheld windows still compare.
--             Bed days compare with our crude rate: the release gives numerator and
--             denominator, and ministry_rate_is_crude says whether its rate is their ratio. [I]
--   ministry  staging.moh_release, the latest release containing that period_end.
-- difference = ours − Ministry; relative_difference = difference / |Ministry|.
-- beyond_tolerance: |relative_difference| > relative_tolerance, a non-zero value against a
-- Ministry 0, or a cell present on one side only (note says which). Nothing is dropped: a
-- difference is a row to explain, not a row to hide.
CREATE OR REPLACE TABLE marts.moh_reconciliation AS
WITH pairs AS (
    SELECT unnest(getvariable('moh_sheets')) AS moh_measure,
           unnest(getvariable('our_measures')) AS measure_id
),
ours AS (
    SELECT p.moh_measure, m.measure_id, m.period_end, m.district_code, m.group_id, m.status,
           m.numerator, m.denominator,
           m.numerator / nullif(m.denominator, 0) * m.multiplier AS rate
    FROM marts.measures m
    JOIN pairs p USING (measure_id)
    WHERE coalesce(m.breakdown, '') = ''
      AND m.group_id IN ('maori', 'pacific', 'asian', 'european_other', 'total')
),
multipliers AS (SELECT moh_measure, any_value(m.multiplier) AS multiplier
                FROM marts.measures m JOIN pairs p USING (measure_id) GROUP BY ALL),
released AS (
    SELECT r.measure_id AS moh_measure, r.release_id, r.period_end, r.district_code,
           coalesce(r.group_id, r.ethnic_group) AS group_id, r.numerator, r.denominator, r.rate
    FROM staging.moh_release r
),
-- A release that gives districts only: New Zealand is the sum of its districts, so the national
-- line is reconciled too (a derived Ministry figure, not one they published).
released_national AS (
    SELECT d.moh_measure, d.release_id, d.period_end, '000' AS district_code, d.group_id,
           sum(d.numerator) AS numerator, sum(d.denominator) AS denominator,
           sum(d.numerator) / nullif(sum(d.denominator), 0) * any_value(x.multiplier) AS rate
    FROM released d
    JOIN multipliers x USING (moh_measure)
    WHERE d.district_code <> '000'
      AND NOT EXISTS (SELECT 1 FROM released n WHERE n.district_code = '000'
                      AND n.moh_measure = d.moh_measure AND n.period_end = d.period_end)
    GROUP BY d.moh_measure, d.release_id, d.period_end, d.group_id
),
ministry AS (
    SELECT r.*,
           abs(r.rate - r.numerator / nullif(r.denominator, 0) * x.multiplier)
               <= 0.0005 * abs(r.rate) + 0.05 AS ministry_rate_is_crude   -- equal up to rounding
    FROM (SELECT * FROM released UNION ALL SELECT * FROM released_national) r
    JOIN multipliers x USING (moh_measure)
),
covered AS (
    SELECT moh_measure, period_end FROM ours
    INTERSECT
    SELECT moh_measure, period_end FROM ministry
),
joined AS (
    SELECT
        coalesce(o.moh_measure, t.moh_measure)       AS moh_measure,
        coalesce(o.period_end, t.period_end)         AS period_end,
        coalesce(o.district_code, t.district_code)   AS district_code,
        coalesce(o.group_id, t.group_id)             AS group_id,
        o.status AS our_status, t.release_id, t.ministry_rate_is_crude,
        o.numerator AS our_numerator, o.denominator AS our_denominator, o.rate AS our_rate,
        t.numerator AS ministry_numerator, t.denominator AS ministry_denominator, t.rate AS ministry_rate,
        CASE WHEN o.moh_measure IS NULL THEN 'not in our results'
             WHEN t.moh_measure IS NULL THEN 'not in the Ministry release' END AS note
    FROM ours o
    FULL JOIN ministry t
      ON t.moh_measure = o.moh_measure AND t.period_end = o.period_end
     AND t.district_code = o.district_code AND t.group_id = o.group_id
),
long AS (
    SELECT j.*, 'numerator' AS quantity, our_numerator AS ours, ministry_numerator AS ministry FROM joined j
    UNION ALL
    SELECT j.*, 'denominator', our_denominator, ministry_denominator FROM joined j
    UNION ALL
    SELECT j.*, 'rate', our_rate, ministry_rate FROM joined j
)
SELECT
    l.moh_measure, p.measure_id, l.release_id, l.period_end, l.district_code, l.group_id,
    l.quantity, l.ours, l.ministry,
    l.ours - l.ministry                              AS difference,
    (l.ours - l.ministry) / nullif(abs(l.ministry), 0) AS relative_difference,
    getvariable('relative_tolerance')                AS relative_tolerance,
    CASE WHEN l.note IS NOT NULL THEN true
         WHEN l.ours IS NULL AND l.ministry IS NULL THEN false
         WHEN l.ours IS NULL OR l.ministry IS NULL THEN true
         WHEN l.ministry = 0 THEN l.ours <> 0
         ELSE abs(l.ours - l.ministry) / abs(l.ministry) > getvariable('relative_tolerance')
    END                                              AS beyond_tolerance,
    l.note, l.our_status, l.ministry_rate_is_crude
FROM long l
JOIN covered c USING (moh_measure, period_end)
JOIN pairs p USING (moh_measure)
ORDER BY l.moh_measure, l.period_end, l.district_code, l.group_id, l.quantity;
