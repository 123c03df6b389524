-- staging.nmds_events: one row per hospital discharge, ready for the measures.
--
-- * Identifiers stop here: no NHI, no date of birth; age is derived instead.
-- * Age at admission in completed months and years (the ASH list has month-based age rules).
-- * Prioritised ethnicity from up to three level-2 codes (prioritised_group4 via
--   prioritised_ethnic_groups in _ethnicity.sql),
--   by the level-1 order
--   Māori > Pacific > Asian > MELAA > Other > European > residual [C, addendum §7].
--   A person with no valid code is European/Other ("includes Unknown" [C]) and so nMnP.
-- * District = DHB of domicile as recorded on the event [C].
-- incremental by: discharge_quarter (a period's rows come from that period's raw rows only, so a new or
-- corrected period rebuilds just its own rows: pipelines/staging.py)
CREATE OR REPLACE TABLE staging.nmds_events AS
WITH aged AS (
    SELECT
        e.*,
        date_sub('month', e.date_of_birth, e.admission_date) AS age_months   -- completed months
    FROM raw.nmds_events e
)
SELECT
    a.event_id,
    a.dhb_of_domicile                         AS district_code,
    a.dhb_of_service,
    a.sex,
    g.group_id                                AS group4_id,
    g.slm3_id,
    a.age_months,
    a.age_months // 12                        AS age_years,
    a.admission_date,
    a.discharge_date,
    date_diff('day', a.admission_date, a.discharge_date) AS los_days,
    a._period                                 AS discharge_quarter,
    a.event_type,
    a.admission_source,
    a.admission_type,
    a.health_specialty,
    a.principal_diagnosis,
    [d FOR d IN [a.other_diagnosis_1, a.other_diagnosis_2, a.other_diagnosis_3] IF d IS NOT NULL]
                                              AS other_diagnoses,
    a.external_cause_code,
    a.purchaser_code,
    a.end_type
FROM aged a
JOIN prioritised_ethnic_groups('raw.nmds_events') g
  ON g.ethnic_code_1 IS NOT DISTINCT FROM a.ethnic_code_1
 AND g.ethnic_code_2 IS NOT DISTINCT FROM a.ethnic_code_2
 AND g.ethnic_code_3 IS NOT DISTINCT FROM a.ethnic_code_3;
