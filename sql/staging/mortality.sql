-- staging.mortality: one row per registered death, ready for the measures.
--
-- * Identifiers stop here: no NHI. Age at death is as registered (completed years).
-- * Prioritised ethnicity from up to three level-2 codes (prioritised_group4 via
--   prioritised_ethnic_groups in _ethnicity.sql):
--   Māori > Pacific > Asian > MELAA > Other > European > residual [C, addendum §7]; no valid
--   code → European/Other ("includes Unknown" [C]) and so nMnP.
-- * District = DHB of domicile as recorded [C]. Year of death, not of registration, places a
--   death in a period; registration_year says when it reached the collection (the lag rule).
CREATE OR REPLACE TABLE staging.mortality AS
SELECT
    m.death_id,
    m.dhb_of_domicile          AS district_code,
    m.sex,
    g.group_id                 AS group4_id,
    g.slm3_id,
    m.date_of_death,
    year(m.date_of_death)      AS year_of_death,
    m.age_at_death             AS age_years,
    m.registration_year,
    upper(replace(trim(m.underlying_cause), '.', '')) AS underlying_cause   -- ICD-10-AM, no dot
FROM raw.mortality m
JOIN prioritised_ethnic_groups('raw.mortality') g
  ON g.ethnic_code_1 IS NOT DISTINCT FROM m.ethnic_code_1
 AND g.ethnic_code_2 IS NOT DISTINCT FROM m.ethnic_code_2
 AND g.ethnic_code_3 IS NOT DISTINCT FROM m.ethnic_code_3;
