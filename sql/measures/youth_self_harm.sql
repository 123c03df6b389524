-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Youth SLM, mental health and wellbeing: self-harm hospitalisations per 100,000, ages 10–24
-- definition_version: youth-self-harm-v1 (choices in measures.yaml → measures.youth_self_harm)
--
-- Numerator   Hospital discharges (NMDS) of people aged 10–24 at admission (completed years)
--             with an external cause code starting with one of external_cause_prefixes:
--             X60–X84 intentional self-harm and Y87.0 its sequelae.                    [C age; U codes]
--             Short-stay ED events are counted: the youth SLM names "self-harm
--             hospitalisations and short-stay ED presentations" (exclude_ssed: false).  [I, addendum §6.2]
-- Denominator Estimated resident population aged 10–24 at 30 June inside the window      [I]
--             (staging.population, via population_in_ages).
-- Geography   District (DHB) of domicile.                                                   [I]
-- Period      Rolling 12 months to each quarter end, events by discharge date.           [C/U]
-- Statistic   Crude rate per 100,000 (one broad band, not standardised); 95% CI exact
--             Poisson under 10 events, Byar from 10 (PHEindicatormethods).                 [I]
-- Events      Inpatient and day-case events (event_types), no admission-type filter.       [I]
-- Assumptions (each [U], each a switch in measures.yaml):
--             only the event's (first) external cause code is read — the extract has one;
--             no principal-diagnosis condition (principal_diagnosis_prefixes: null; [S, T]
--             would add Suicide Facts' injury S00–T98 rule); transfers in excluded so a
--             continuous stay counts once (exclude_transfers_in); publicly funded events only
--             (publicly_funded_only, public_purchaser_codes). Events, not people: a person
--             admitted twice counts twice.
-- ════════════════════════════════════════════════════════════════════════════════════════════

-- The events counted, one row each.
-- incremental by: discharge_quarter (an event's row comes from its own discharge quarter's staging rows:
--   only new or changed quarters are rebuilt, pipelines/measures/incremental_events.py)
CREATE OR REPLACE TABLE marts.youth_self_harm_events AS
SELECT e.event_id, e.district_code, e.group4_id, e.age_years, e.discharge_date, e.discharge_quarter,
       e.discharge_date AS event_date,
       e.external_cause_code, e.principal_diagnosis
FROM staging.nmds_events e
WHERE e.age_years BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
  AND list_bool_or([starts_with(e.external_cause_code, p) FOR p IN getvariable('external_cause_prefixes')])
  AND (getvariable('principal_diagnosis_prefixes') IS NULL
       OR list_bool_or([starts_with(e.principal_diagnosis, p)
                        FOR p IN getvariable('principal_diagnosis_prefixes')]))
  AND counted_nmds_event(e.event_type, e.admission_source, e.health_specialty, e.los_days,
                         e.purchaser_code);

-- Numerator and denominator for every window × district × ethnic group, zero counts included.
CREATE OR REPLACE TABLE marts.youth_self_harm_cells AS
SELECT * FROM population_rate_cells('marts.youth_self_harm_events', 'nmds_events',
                                    getvariable('age_min_years'), getvariable('age_max_years'));
