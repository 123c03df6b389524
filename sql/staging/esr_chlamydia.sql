-- staging.esr_chlamydia: ESR laboratory chlamydia testing counts by quarter × district × age
-- group × sex × prioritised ethnic group, ready for the measures.
--
-- * people_tested counts people tested in the quarter, each once [C extract: "people tested"];
--   the same person tested in two quarters is in both [I].
-- * Age groups ('15-19', '20-24') are also split into their bounds, so a measure can keep the
--   groups wholly inside its age range, as population_in_ages does for the denominator; a
--   group that is not 'lower-upper' gets no bounds and is never counted.
-- * Ethnicity arrives prioritised (group4 label, group4_id_of_label in _ethnicity.sql); a missing
--   or unrecognised label is European or
--   Other ("includes Unknown" [C, domain reference §3]).
-- incremental by: quarter (a period's rows come from that period's raw rows only, so a new or
-- corrected period rebuilds just its own rows: pipelines/staging.py)
CREATE OR REPLACE TABLE staging.esr_chlamydia AS
SELECT
    e._period                                            AS quarter,
    e.dhb_code                                           AS district_code,
    e.age_group,
    TRY_CAST(split_part(e.age_group, '-', 1) AS INTEGER) AS age_lower,
    TRY_CAST(split_part(e.age_group, '-', 2) AS INTEGER) AS age_upper,
    e.sex,
    group4_id_of_label(e.ethnic_group)                   AS group4_id,
    e.people_tested,
    e.people_positive
FROM raw.esr_chlamydia e;
