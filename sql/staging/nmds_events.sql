-- staging.nmds_events: one row per hospital discharge, ready for the measures.
--
-- * Identifiers stop here: no NHI, no date of birth; age is derived instead.
-- * Age at admission in completed months and years (the ASH list has month-based age rules).
-- * Prioritised ethnicity from up to three level-2 codes, by the level-1 order
--   Māori > Pacific > Asian > MELAA > Other > European > residual [C, addendum §7].
--   A person with no valid code is European/Other ("includes Unknown" [C]) and so nMnP.
-- * District = DHB of domicile as recorded on the event [C].
CREATE OR REPLACE TABLE staging.nmds_events AS
WITH coded AS (
    SELECT e.event_id, u.ethnic_code, u.position
    FROM raw.nmds_events e,
         UNNEST([e.ethnic_code_1, e.ethnic_code_2, e.ethnic_code_3]) WITH ORDINALITY AS u(ethnic_code, position)
    WHERE u.ethnic_code IS NOT NULL
),
prioritised AS (
    SELECT c.event_id, arg_min(l2.group4, l2.prio_rank_l1) AS group4
    FROM coded c
    JOIN ref.ethnicity_level2 l2 ON l2.level2 = c.ethnic_code
    GROUP BY c.event_id
),
aged AS (
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
LEFT JOIN prioritised p USING (event_id)
JOIN ref.ethnic_groups g ON g.group4 = coalesce(p.group4, 'European or Other');
