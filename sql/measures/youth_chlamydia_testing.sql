-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Youth SLM, sexual and reproductive health: chlamydia testing coverage (%), ages 15–24
-- definition_version: youth-chlamydia-v1 (choices in measures.yaml → measures.youth_chlamydia_testing)
--
-- Numerator   People tested for chlamydia (ESR laboratory counts, people_tested), ages 15–24,
--             summed over the window's four quarters.                                    [C ESR]
--             CAVEAT: ESR counts people per quarter, so a person tested in two quarters of
--             the window counts twice: the numerator is tested person-quarters, and the
--             "coverage" overstates the share of young people tested at least once.          [U]
-- Denominator Estimated resident population aged 15–24 at 30 June inside the window      [I]
--             (staging.population, via population_in_ages).
-- Ages        ESR age groups wholly inside age_min_years–age_max_years (15-19, 20-24);
--             population ages the same.                                                       [C]
-- Geography   District as supplied by ESR (dhb_code).                                        [U]
-- Period      Rolling 12 months (four quarters) to each quarter end.                         [U]
-- Statistic   coverage: proportion × 100 with Wilson score limits (PHEindicatormethods)     [I];
--             a cell with more person-quarters than population keeps its value (over 100 %)
--             with no interval rather than stopping the run (statistics/coverage.py).
-- Sexes       Both sexes together, as the national indicator.                                [C]
-- ════════════════════════════════════════════════════════════════════════════════════════════

CREATE OR REPLACE TABLE marts.youth_chlamydia_testing_cells AS
WITH tested AS (   -- people tested per quarter, in age groups wholly inside the measure's ages
    SELECT t.quarter AS period, t.district_code, t.group4_id, t.people_tested AS numerator
    FROM staging.esr_chlamydia t
    WHERE t.age_lower >= getvariable('age_min_years') AND t.age_upper <= getvariable('age_max_years')
)
SELECT * FROM population_rate_cells_per_period('tested', 'esr_chlamydia', 4, 3,
                                               getvariable('age_min_years'), getvariable('age_max_years'));
