-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Babies at six weeks whose smokefree-home status is unknown (%): completeness companion of
-- smokefree_6_weeks, published beside it because LMC-sourced status is missing non-randomly.
-- definition_version: smokefree-unknown-v1 (measures.yaml → measures.smokefree_6_weeks_unknown,
-- which inherits every choice of smokefree_6_weeks).                            [I, addendum §6.1]
--
-- Babies      Exactly the counted babies of smokefree_6_weeks.sql: one record each within
--             56 days, WCTO before LMC, then earliest contact (known status first only when
--             known_status_first).
-- Numerator   Counted babies whose chosen record's status is not in denominator_values
--             (U or blank).
-- Denominator All counted babies (Y, N or unknown).
-- So numerator here + denominator of smokefree_6_weeks = denominator here, cell by cell.
-- Geography, ethnicity, period and statistic as smokefree_6_weeks.
-- ════════════════════════════════════════════════════════════════════════════════════════════

-- Counted babies: one record each (the same query as smokefree_6_weeks.sql).
CREATE OR REPLACE TABLE marts.smokefree_6_weeks_unknown_babies AS
SELECT s.*
FROM staging.smokefree s
WHERE s.age_days BETWEEN 0 AND getvariable('max_age_days')
  AND list_contains(getvariable('source_precedence'), s.source)
QUALIFY row_number() OVER (
    PARTITION BY s.baby_key
    ORDER BY getvariable('known_status_first')
                 AND NOT list_contains(getvariable('denominator_values'), s.smokefree_status),
             list_position(getvariable('source_precedence'), s.source),
             s.contact_date, s.record_id
) = 1;

-- Numerator and denominator for every half-year × district × ethnic group, zero counts included.
CREATE OR REPLACE TABLE marts.smokefree_6_weeks_unknown_cells AS
WITH windows AS (SELECT * FROM rolling_windows('smokefree', 1, 6)),
counts AS (
    SELECT w.period_end, b.district_code, b.group4_id,
           count(*) FILTER (WHERE NOT list_contains(getvariable('denominator_values'), b.smokefree_status))
               AS numerator,
           count(*) AS denominator
    FROM marts.smokefree_6_weeks_unknown_babies b
    JOIN windows w ON period_start(b.birth_half_year) BETWEEN w.period_start AND w.period_end
    GROUP BY ALL
)
SELECT
    w.period_start, w.period_end, w.withheld, w.blocking_rules,
    d.code3 AS district_code, g.group_id AS group4_id,
    '' AS breakdown, '' AS stratum,
    coalesce(c.numerator, 0) AS numerator,
    coalesce(c.denominator, 0) AS denominator
FROM windows w
CROSS JOIN ref.districts d
CROSS JOIN ref.ethnic_groups g
LEFT JOIN counts c
       ON c.period_end = w.period_end AND c.district_code = d.code3 AND c.group4_id = g.group_id;
