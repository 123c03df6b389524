-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Amenable mortality under 75 per 100,000 (age-standardised)
-- definition_version: amenable-mortality-v1-partial (choices in measures.yaml → measures.amenable_mortality)
--
-- Numerator   Deaths at ages 0–74 whose underlying cause is on the amenable mortality code
--             list and meets that code row's own age and sex limits.                          [C]
-- Denominator Person-years at ages 0–74: the 30 June estimated resident populations of the
--             window's five years, summed (all five must be loaded).                          [I]
-- Geography   District (DHB) of domicile.                                                     [C]
-- Period      Rolling five years of death, one window per year of death (annual).    [C AM-FAQ/I]
--             Only complete years: year of death Y is complete once registration years
--             Y … Y + registration_lag_years are loaded, and a window is published only when
--             its five years are (window_years, registration_lag_years).            [C lag/I rule]
--             Deaths registered later still count once loaded (series recalculated).          [I]
--             A window is withheld when a registration year it needs, or one holding its
--             deaths, is blocked by a failed contract rule.
-- Statistic   Directly standardised to the WHO 2000–2025 standard over the 15 bands 0–4 …
--             70–74 (standardisation_age_bands). PHE's formula divides by the sum of the
--             weights used, so the weights are renormalised over 0–74 (96.97 %;
--             renormalise_weights). Dobson 95% limits; fewer than 10 deaths → not
--             calculated, suppressed (PHE).                                           [C WHO/I/C]
--             The standard is a setting (standard_population). For Māori vs non-Māori the
--             Ministry uses the 2001 Census Māori population [C] (standard_population_wanted);
--             its weights are not in reference/, so WHO is used for every row and every row
--             says so in definition_note (pipelines/measures/annotations.py).          [C gap]
-- Breakdown   '' = all coded conditions; otherwise the condition group of the code list
--             (AM-FAQ super-categories [C]; ids [I]).
-- Code list   reference/code_lists/amenable_mortality_v1.csv: TK-CODES Table A1.2, 27 of the
--             35 conditions [C]; rows marked MISSING have no codes. 3-character codes match
--             the whole category, 4-character codes that subcategory and its extensions
--             (prefix, like the ASH list) [C format]. Row limits: age_min–age_max (e.g. acute
--             lymphoblastic leukaemia 0–44 [I]) and sex (F/M) [C/I]. A death matching several
--             rows counts once, under the longest (most specific) code.                      [I]
-- Completeness The code list lacks 8 of 35 conditions (every injury) [C gap, addendum §1], so
--             the measure undercounts. marts.amenable_mortality_definition derives the status
--             from the list itself; publish puts definition_status = incomplete and the reason
--             (e.g. "27 of 35 conditions coded; no codes for injuries") on every row.
-- ════════════════════════════════════════════════════════════════════════════════════════════

-- Standardisation age bands: '0-4', …, '70-74' (the last closes at age_max_years).
CREATE OR REPLACE TEMP TABLE am_age_bands AS
SELECT age_lower, age_upper, age_lower || '-' || age_upper AS age_band
FROM (
    SELECT age_lower,
           coalesce(lead(age_lower) OVER (ORDER BY age_lower) - 1, getvariable('age_max_years')) AS age_upper
    FROM (SELECT unnest(getvariable('standardisation_age_bands')) AS age_lower)
);

-- A population row of the measure's ages must sit inside one band, or its people would drop out.
SELECT error('amenable_mortality: population ages ' || p.age_lower || '-' || p.age_upper
             || ' straddle the standardisation age bands')
FROM staging.population p
WHERE p.age_lower <= getvariable('age_max_years')
  AND NOT EXISTS (SELECT 1 FROM am_age_bands b WHERE p.age_lower >= b.age_lower AND p.age_upper <= b.age_upper)
LIMIT 1;

-- The coded part of the list: rows marked MISSING have no codes to match.
CREATE OR REPLACE TEMP TABLE am_codes AS
SELECT "group" AS condition_group, condition, icd10am_code, age_min, age_max,
       nullif(trim(sex), '') AS sex
FROM ref.amenable_mortality
WHERE row_status <> 'MISSING' AND nullif(trim(icd10am_code), '') IS NOT NULL;

-- Rolling windows of complete years of death. A window ending in year E needs registration
-- years E − (window_years − 1) … E + registration_lag_years, all loaded.
CREATE OR REPLACE TEMP TABLE am_windows AS
WITH registrations AS (
    SELECT TRY_CAST(period AS INTEGER) AS registration_year, status, blocking_rules
    FROM meta.period_status
    WHERE source_id = 'mortality'
),
complete AS (
    SELECT last.registration_year - getvariable('registration_lag_years')         AS end_year,
           bool_or(needed.status = 'blocked')                                      AS withheld,
           list_distinct(flatten(list(needed.blocking_rules)))                     AS blocking_rules
    FROM registrations last
    JOIN registrations needed
      ON needed.registration_year
         BETWEEN last.registration_year - getvariable('registration_lag_years') - getvariable('window_years') + 1
             AND last.registration_year
    GROUP BY last.registration_year
    HAVING count(*) = getvariable('window_years') + getvariable('registration_lag_years')
),
-- Later registration years holding deaths of the window count too, so a block there withholds.
late AS (
    SELECT c.end_year,
           bool_or(r.status = 'blocked')                      AS withheld,
           list_distinct(flatten(list(r.blocking_rules)))     AS blocking_rules
    FROM complete c
    JOIN (SELECT DISTINCT year_of_death, registration_year FROM staging.mortality) d
      ON d.year_of_death BETWEEN c.end_year - getvariable('window_years') + 1 AND c.end_year
     AND d.registration_year > c.end_year + getvariable('registration_lag_years')
    JOIN registrations r USING (registration_year)
    GROUP BY c.end_year
)
SELECT
    make_date(c.end_year - getvariable('window_years') + 1, 1, 1)   AS period_start,
    make_date(c.end_year, 12, 31)                                   AS period_end,
    c.end_year - getvariable('window_years') + 1                    AS first_year,
    c.end_year                                                      AS last_year,
    c.withheld OR coalesce(l.withheld, false)                       AS withheld,
    list_distinct(list_concat(c.blocking_rules, coalesce(l.blocking_rules, [])))  AS blocking_rules
FROM complete c
LEFT JOIN late l USING (end_year);

-- The deaths counted, one row each, with the condition that qualified them.
CREATE OR REPLACE TABLE marts.amenable_mortality_events AS
WITH deaths AS (
    SELECT m.*, b.age_band
    FROM staging.mortality m
    JOIN am_age_bands b ON m.age_years BETWEEN b.age_lower AND b.age_upper
    WHERE m.age_years BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
)
SELECT
    d.death_id, d.district_code, d.group4_id, d.sex, d.age_years, d.age_band,
    d.year_of_death, d.registration_year, d.underlying_cause,
    c.condition_group, c.condition, c.icd10am_code AS matched_code
FROM deaths d
JOIN am_codes c
  ON starts_with(d.underlying_cause, c.icd10am_code)
 AND d.age_years >= coalesce(c.age_min, 0)
 AND d.age_years <= coalesce(c.age_max, getvariable('age_max_years'))
 AND (c.sex IS NULL OR c.sex = d.sex)
QUALIFY row_number() OVER (PARTITION BY d.death_id ORDER BY length(c.icd10am_code) DESC, c.icd10am_code) = 1;

-- Deaths and person-years for every window × district × ethnic group × breakdown × age band,
-- zero counts included. Breakdown '' is every coded condition; the others one group each.
CREATE OR REPLACE TABLE marts.amenable_mortality_cells AS
WITH breakdowns AS (
    SELECT '' AS breakdown
    UNION ALL
    SELECT DISTINCT condition_group FROM am_codes
),
deaths AS (
    SELECT w.period_end, e.district_code, e.group4_id, e.age_band, b.breakdown, count(*) AS deaths
    FROM marts.amenable_mortality_events e
    JOIN am_windows w ON e.year_of_death BETWEEN w.first_year AND w.last_year
    JOIN breakdowns b ON b.breakdown IN ('', e.condition_group)
    GROUP BY ALL
),
person_years AS (
    SELECT w.period_end, p.district_code, p.group4_id, b.age_band, sum(p.population) AS population
    FROM am_windows w
    JOIN staging.population p ON p.year BETWEEN w.first_year AND w.last_year
    JOIN am_age_bands b ON p.age_lower >= b.age_lower AND p.age_upper <= b.age_upper
    GROUP BY ALL
),
-- Person-years exist only when all five 30 June populations are loaded; else unknown, not 0.
population_complete AS (
    SELECT w.period_end
    FROM am_windows w
    JOIN (SELECT DISTINCT year FROM staging.population) y ON y.year BETWEEN w.first_year AND w.last_year
    GROUP BY w.period_end
    HAVING count(*) = getvariable('window_years')
)
SELECT
    w.period_start, w.period_end, w.withheld, w.blocking_rules,
    d.code3 AS district_code, g.group_id AS group4_id,
    bd.breakdown, b.age_band AS stratum,
    coalesce(x.deaths, 0) AS numerator,
    CASE WHEN pc.period_end IS NOT NULL THEN coalesce(p.population, 0) END AS denominator
FROM am_windows w
CROSS JOIN ref.districts d
CROSS JOIN ref.ethnic_groups g
CROSS JOIN breakdowns bd
CROSS JOIN am_age_bands b
LEFT JOIN population_complete pc ON pc.period_end = w.period_end
LEFT JOIN deaths x
       ON x.period_end = w.period_end AND x.district_code = d.code3 AND x.group4_id = g.group_id
      AND x.breakdown = bd.breakdown AND x.age_band = b.age_band
LEFT JOIN person_years p
       ON p.period_end = w.period_end AND p.district_code = d.code3 AND p.group4_id = g.group_id
      AND p.age_band = b.age_band;

-- Whether the definition is complete, derived from the code list itself, and why not.
CREATE OR REPLACE TABLE marts.amenable_mortality_definition AS
WITH code_list AS (SELECT * FROM ref.amenable_mortality),
coded AS (SELECT DISTINCT condition_group, condition FROM am_codes),
missing AS (
    SELECT condition FROM code_list
    WHERE row_status = 'MISSING' OR nullif(trim(icd10am_code), '') IS NULL
),
uncoded_groups AS (
    SELECT g FROM unnest(getvariable('condition_groups')) AS t(g)
    WHERE g NOT IN (SELECT condition_group FROM coded)
),
summary AS (
    SELECT
        (SELECT any_value(code_list_version) FROM code_list)                AS code_list_version,
        (SELECT count(*) FROM coded)                                        AS conditions_coded,
        getvariable('expected_conditions')                                  AS conditions_expected,
        coalesce((SELECT list(condition ORDER BY condition) FROM missing), [])  AS missing_rows,
        coalesce((SELECT list(g ORDER BY g) FROM uncoded_groups), [])       AS uncoded_groups
)
SELECT
    CASE WHEN len(missing_rows) > 0 OR len(uncoded_groups) > 0 OR conditions_coded < conditions_expected
         THEN 'incomplete' ELSE 'complete' END AS definition_status,
    CASE WHEN len(missing_rows) > 0 OR len(uncoded_groups) > 0 OR conditions_coded < conditions_expected
         THEN concat_ws('; ',
                  'incomplete definition: ' || conditions_coded || ' of ' || conditions_expected || ' conditions coded',
                  CASE WHEN len(uncoded_groups) > 0
                       THEN 'no codes for ' || array_to_string(uncoded_groups, ', ') END,
                  CASE WHEN len(missing_rows) > 0
                       THEN 'MISSING in ' || code_list_version || ': ' || array_to_string(missing_rows, ' | ') END)
    END AS definition_note,
    code_list_version, conditions_coded, conditions_expected, missing_rows, uncoded_groups
FROM summary;
