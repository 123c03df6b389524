-- staging.nnpac_ed: one row per emergency department attendance (NNPAC), ready for the measures.
--
-- * Identifiers stop here: no NHI, no date of birth; age in completed years at presentation.
-- * Prioritised ethnicity from up to three level-2 codes (prioritised_group4 via
--   prioritised_ethnic_groups in _ethnicity.sql)
--   (Māori > Pacific > Asian > MELAA > Other > European > residual [C, addendum §7]); no valid
--   code → European or Other ("includes Unknown" [C]).
-- * Both districts are kept: DHB of service (the ED's district) and DHB of domicile; each measure
--   says which it reports by.
-- * Codes as supplied: purchase unit, attendance code (ATT/DNA/DNW), service type (FU = follow-up,
--   else empty → NULL), alcohol answer (Y/N/U/S; empty → NULL, i.e. not recorded).
-- incremental by: presentation_quarter (a period's rows come from that period's raw rows only, so a new or
-- corrected period rebuilds just its own rows: pipelines/staging.py)
CREATE OR REPLACE TABLE staging.nnpac_ed AS
SELECT
    e.event_id,
    e.dhb_of_service,
    e.dhb_of_domicile,
    e.sex,
    g.group_id                                AS group4_id,
    g.slm3_id,
    -- completed years: whole years, less one if the birthday has not yet come round this year
    date_diff('year', e.date_of_birth, e.presentation_date)
        - CASE WHEN strftime(e.presentation_date, '%m%d') < strftime(e.date_of_birth, '%m%d')
               THEN 1 ELSE 0 END              AS age_years,
    e.presentation_date,
    e._period                                 AS presentation_quarter,
    e.purchase_unit,
    e.attendance_code,
    e.service_type,
    e.alcohol_related
FROM raw.nnpac_ed e
JOIN prioritised_ethnic_groups('raw.nnpac_ed') g
  ON g.ethnic_code_1 IS NOT DISTINCT FROM e.ethnic_code_1
 AND g.ethnic_code_2 IS NOT DISTINCT FROM e.ethnic_code_2
 AND g.ethnic_code_3 IS NOT DISTINCT FROM e.ethnic_code_3;
