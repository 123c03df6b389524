-- staging.population: estimated resident population at 30 June of `year`, by district,
-- age (single years, or bands where the extract has them), sex and prioritised ethnic group.
CREATE OR REPLACE TABLE staging.population AS
SELECT
    p.year,
    p.dhb_code   AS district_code,
    p.age_lower,
    p.age_upper,
    p.sex,
    g.group_id   AS group4_id,
    g.slm3_id,
    p.population
FROM raw.population p
JOIN ref.ethnic_groups g ON g.group4 = p.ethnic_group;
