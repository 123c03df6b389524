-- staging.youth_survey: one row per CAMHS Marama real-time survey respondent.
--
-- * q_safe_supported: 1–5, 5 = strongly agree; NULL = not answered (kept: the measure decides).
-- * District = dhb_code as supplied (the district of the service surveyed).
-- * Ethnicity arrives prioritised (group4 label, group4_id_of_label in _ethnicity.sql); a missing
--   or unrecognised label is European or
--   Other ("includes Unknown" [C, domain reference §3]).
-- incremental by: survey_year (a period's rows come from that period's raw rows only, so a new or
-- corrected period rebuilds just its own rows: pipelines/staging.py)
CREATE OR REPLACE TABLE staging.youth_survey AS
SELECT
    y.respondent_id,
    y._period                                  AS survey_year,
    y.dhb_code                                 AS district_code,
    y.age,
    group4_id_of_label(y.ethnic_group)         AS group4_id,
    y.service,
    y.q_safe_supported
FROM raw.youth_survey y;
