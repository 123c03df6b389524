-- staging.smokefree: one row per six-week smokefree-home record (WCTO or LMC), ready for the
-- smokefree measures.
--
-- * Identifiers stop here. baby_key links the records of one baby (a rank of the encrypted NHI,
--   meaningful only inside this table); a record without an NHI is a baby of its own. Date of birth
--   becomes the birth half-year (the period the record was loaded under) and the age in days at
--   the contact.
-- * Status: Y smokefree, N not, U unknown; an empty status is unknown too.
-- * Prioritised ethnicity from up to three level-2 codes (prioritised_group4 via
--   prioritised_ethnic_groups in _ethnicity.sql)
--   (Māori > Pacific > Asian > MELAA > Other > European > residual [C, addendum §7]); no valid
--   code → European or Other ("includes Unknown" [C]).
-- * District = DHB of domicile on the record [C: SLMs report by district of domicile].
-- Which record a baby is counted from (56-day cut-off, source precedence) is a definition choice,
-- so it is made in the measure (sql/measures/smokefree_6_weeks.sql), not here.
CREATE OR REPLACE TABLE staging.smokefree AS
SELECT
    s.record_id,
    dense_rank() OVER (ORDER BY coalesce(s.baby_nhi_encrypted, 'record:' || s.record_id)) AS baby_key,
    s.source,
    s._period                                       AS birth_half_year,
    s.contact_date,
    date_diff('day', s.date_of_birth, s.contact_date) AS age_days,
    coalesce(s.smokefree_household, 'U')            AS smokefree_status,
    s.dhb_of_domicile                               AS district_code,
    g.group_id                                      AS group4_id,
    g.slm3_id
FROM raw.smokefree s
JOIN prioritised_ethnic_groups('raw.smokefree') g
  ON g.ethnic_code_1 IS NOT DISTINCT FROM s.ethnic_code_1
 AND g.ethnic_code_2 IS NOT DISTINCT FROM s.ethnic_code_2
 AND g.ethnic_code_3 IS NOT DISTINCT FROM s.ethnic_code_3;
