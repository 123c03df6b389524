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
WITH examined AS (   -- adolescents examined per calendar year, at the measure's ages
    SELECT o.year AS period, o.district_code, o.group4_id, o.adolescents_examined AS numerator
    FROM staging.oral_health o
    WHERE o.age BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
)
SELECT * FROM population_rate_cells_per_period('examined', 'oral_health', 1, 12,
                                               getvariable('age_min_years'), getvariable('age_max_years'));
