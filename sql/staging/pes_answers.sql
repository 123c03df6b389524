-- staging.pes_answers: one row per survey respondent × answered item, both patient experience
-- surveys (adult inpatient, adult primary care), with the item's domain and 0–10 score.
--
-- * Wide returns (q01 … q20 / q01 … q16) unpivoted; an empty answer is not an answer and has no row.
-- * The survey is the extract it came in (raw.pes_inpatient → inpatient, raw.pes_primary_care →
--   primary_care); the period is the survey quarter the row was loaded under.
-- * Item → domain and answer → score from ref.pes_items (reference/pes_items.csv): best = 10,
--   worst = 0; non-evaluative answers ("don't know", "not applicable") carry a NULL score and so
--   drop out of every domain score [S/I, addendum §5]. An item or answer code missing from the
--   map keeps its row with NULL domain and score: visible here, never scored.
-- * District = dhb_code as supplied: the hospital's district (inpatient) or the district where the
--   general practice is located (primary care) [C, addendum §5], not the patient's domicile.
-- * Ethnicity arrives prioritised (group4 label, group4_id_of_label in _ethnicity.sql); a missing
--   or unrecognised label is European or
--   Other, as "European or Other includes Unknown" [C, domain reference §3].
-- incremental by: survey_quarter (a period's rows come from that period's raw rows only, so a new or
-- corrected period rebuilds just its own rows: pipelines/staging.py)
CREATE OR REPLACE TABLE staging.pes_answers AS
WITH answers AS (
    SELECT respondent_id, 'inpatient' AS survey, _period AS survey_quarter, dhb_code,
           ethnic_group, age_group, sex, weight, item, answer_code
    FROM (UNPIVOT raw.pes_inpatient ON COLUMNS('^q[0-9]+$') INTO NAME item VALUE answer_code)
    UNION ALL
    SELECT respondent_id, 'primary_care' AS survey, _period AS survey_quarter, dhb_code,
           ethnic_group, age_group, sex, weight, item, answer_code
    FROM (UNPIVOT raw.pes_primary_care ON COLUMNS('^q[0-9]+$') INTO NAME item VALUE answer_code)
)
SELECT
    a.respondent_id,
    a.survey,
    a.survey_quarter,
    a.dhb_code                                AS district_code,
    group4_id_of_label(a.ethnic_group)        AS group4_id,
    a.age_group,
    a.sex,
    a.weight,
    a.item,
    a.answer_code,
    i.domain,
    i.answer_label,
    i.score
FROM answers a
LEFT JOIN ref.pes_items i
       ON i.survey = a.survey AND i.item = a.item AND TRY_CAST(i.answer_code AS INTEGER) = a.answer_code;
