-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Youth SLM, access to preventive services: adolescent oral health utilisation (%)
-- definition_version: youth-oral-health-v1 (choices in measures.yaml → measures.youth_oral_health)
--
-- Numerator   Adolescents with at least one examination by a DHB-funded oral health service
--             in the calendar year (distinct within a district [C extract]), aged
--             age_min_years–age_max_years: school year 9 (≈ age 13) to age 17.      [C 17; I 13]
-- Denominator Estimated resident population of the same ages at 30 June of the year          [I]
--             (staging.population, via population_in_ages).
-- Geography   District as supplied (dhb_code).                                                [I]
-- Period      Calendar year, as PP12 is reported annually.                                    [I]
-- Statistic   coverage: proportion × 100 with Wilson score limits (PHEindicatormethods)     [I];
--             a cell with more adolescents examined than resident keeps its value (over 100 %)
--             with no interval rather than stopping the run (statistics/coverage.py).
-- Caveat      An adolescent examined in two districts counts once in each, so the national
--             numerator can count a person twice.                                             [I]
-- ════════════════════════════════════════════════════════════════════════════════════════════

CREATE OR REPLACE TABLE marts.youth_oral_health_cells AS
WITH windows AS (SELECT * FROM rolling_windows('oral_health', 1, 12)),
population AS (SELECT * FROM population_in_ages(getvariable('age_min_years'), getvariable('age_max_years'))),
examined AS (
    SELECT w.period_end, o.district_code, o.group4_id, sum(o.adolescents_examined) AS numerator
    FROM staging.oral_health o
    JOIN windows w ON period_start(o.year) BETWEEN w.period_start AND w.period_end
    WHERE o.age BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
    GROUP BY ALL
)
SELECT
    w.period_start, w.period_end, w.withheld, w.blocking_rules,
    d.code3 AS district_code, g.group_id AS group4_id,
    '' AS breakdown, '' AS stratum,
    coalesce(x.numerator, 0) AS numerator,
    p.population AS denominator
FROM windows w
CROSS JOIN ref.districts d
CROSS JOIN ref.ethnic_groups g
LEFT JOIN examined x
       ON x.period_end = w.period_end AND x.district_code = d.code3 AND x.group4_id = g.group_id
LEFT JOIN population p
       ON p.year = population_year(w.period_end) AND p.district_code = d.code3 AND p.group4_id = g.group_id;
