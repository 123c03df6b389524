-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Youth SLM, alcohol and other drugs: alcohol-related share of ED presentations (%), ages 10–24
-- definition_version: youth-alcohol-ed-share-v1 (measures.yaml → measures.youth_alcohol_ed_share,
-- which inherits every choice of youth_alcohol_ed). HQMNZ's own numerator and denominator [C].
--
-- Numerator   The alcohol-related ED presentations of youth_alcohol_ed.sql: ages 10–24,
--             alcohol answer in alcohol_values (Y, U as HQMNZ words it).                     [C/I]
-- Denominator All ED presentations of 10–24 year olds "serviced in DHB hospitals": same
--             purchase units and exclusions (DNA, DNW, follow-ups).                          [C/S]
-- Geography   DHB of service [C]; numerator and denominator from the same EDs, so unlike the
--             per-population rate there is no residence mismatch.
-- Period      Rolling 12 months to each quarter end, by presentation date.                   [U]
-- Statistic   Proportion × 100 with Wilson score limits (PHEindicatormethods).              [I]
-- ════════════════════════════════════════════════════════════════════════════════════════════

-- ED presentations of 10–24 year olds, one row each (the same query as youth_alcohol_ed.sql).
CREATE OR REPLACE TABLE marts.youth_alcohol_ed_share_presentations AS
SELECT
    e.event_id,
    CASE getvariable('geography')
        WHEN 'dhb_of_service' THEN e.dhb_of_service
        WHEN 'dhb_of_domicile' THEN e.dhb_of_domicile
        ELSE error('geography must be dhb_of_service or dhb_of_domicile')
    END AS district_code,
    e.group4_id, e.age_years, e.presentation_date, e.presentation_quarter, e.purchase_unit,
    e.alcohol_related,
    coalesce(list_contains(getvariable('alcohol_values'), e.alcohol_related), false) AS alcohol_counted
FROM staging.nnpac_ed e
WHERE e.age_years BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
  AND list_contains(getvariable('ed_purchase_units'), e.purchase_unit)
  AND NOT list_contains(getvariable('exclude_attendance_codes'), coalesce(e.attendance_code, ''))
  AND NOT list_contains(getvariable('exclude_service_types'), coalesce(e.service_type, ''));

-- Numerator and denominator for every window × district × ethnic group, zero counts included.
CREATE OR REPLACE TABLE marts.youth_alcohol_ed_share_cells AS
WITH windows AS (SELECT * FROM rolling_windows('nnpac_ed', 4, 3)),
counts AS (
    SELECT w.period_end, e.district_code, e.group4_id,
           count(*) FILTER (WHERE e.alcohol_counted) AS numerator,
           count(*) AS denominator
    FROM marts.youth_alcohol_ed_share_presentations e
    JOIN windows w ON e.presentation_date BETWEEN w.period_start AND w.period_end
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
