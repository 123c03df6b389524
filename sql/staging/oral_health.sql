-- staging.oral_health: adolescents with at least one DHB-funded oral health examination in the
-- calendar year, by district × single year of age × prioritised ethnic group.
--
-- * adolescents_examined counts distinct adolescents in the year within a district [C extract].
-- * Ethnicity arrives prioritised (group4 label, group4_id_of_label in _ethnicity.sql); a missing
--   or unrecognised label is European or
--   Other ("includes Unknown" [C, domain reference §3]).
-- incremental by: year (a period's rows come from that period's raw rows only, so a new or
-- corrected period rebuilds just its own rows: pipelines/staging.py)
CREATE OR REPLACE TABLE staging.oral_health AS
SELECT
    o._period                                  AS year,
    o.dhb_code                                 AS district_code,
    o.age,
    group4_id_of_label(o.ethnic_group)         AS group4_id,
    o.adolescents_examined
FROM raw.oral_health o;
