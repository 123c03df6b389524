-- ════════════════════════════════════════════════════════════════════════════════════════════
-- ASH 0–4: ambulatory sensitive hospitalisations per 100,000 children aged 0–4
-- definition_version: ash-0-4-v1 (choices in measures.yaml → measures.ash_0_4)
--
-- Numerator   Hospital discharges (NMDS) of children aged 0–4 at admission whose principal
--             diagnosis is on the national ASH list and meets that condition's age rule.      [C/S]
-- Denominator Estimated resident population aged 0–4 at 30 June inside the window.          [C/I]
-- Geography   District (DHB) of domicile.                                                     [C]
-- Period      Rolling 12 months to each quarter end, events by discharge date.            [C/U]
-- Statistic   Crude rate per 100,000 (one 5-year band, so not standardised);               [I]
--             95% CI exact Poisson under 10 events, Byar from 10 (PHEindicatormethods).
-- Code list   reference/code_lists/ash_conditions_v1.csv = SWA definitions_library Main_ASH
--             @8322593e (2023-04-26), a secondary copy of the MoH list.                         [S]
--             3-character entries match the whole category (prefix), 4-character entries match
--             that subcategory and its extensions, as SWA's SUBSTRING(code, 1, n) does.         [C]
--             Age rules per code in months: e.g. MMR codes from 15 months, other vaccine-
--             preventable codes from 6 months, wheeze R06.2 0–4 only.                           [S]
-- Events      Acute and arranged admissions (AC, AA; ZC, ZA before July 2004); elective
--             admissions (WN, AP, ZW, ZP) only for dental conditions (includes_elective).     [S/I]
--             Inpatient and day-case events; birth events excluded.                            [I]
-- Assumptions (each [U], each a switch in measures.yaml):
--             principal diagnosis only (diagnosis_position); transfers in excluded so a
--             continuous stay counts once (exclude_transfers_in); short-stay ED events kept
--             (exclude_ssed: false — only needed for series spanning 2012/13); publicly funded
--             events only (publicly_funded_only, public_purchaser_codes).
-- Series break From December 2020 Canterbury's short-stay ED cases are reported to NNPAC only,
--             not the NMDS [C addendum §3]: while exclude_ssed is false, Canterbury and New
--             Zealand rows from then carry series_note, and the windows spanning it
--             series_break (measures.yaml series_breaks). defaults.exclude_ssed_everywhere:
--             true excludes short-stay ED events here and in every NMDS measure instead.
-- ════════════════════════════════════════════════════════════════════════════════════════════

-- The events counted, one row each, with the condition that qualified them.
-- incremental by: discharge_quarter (an event's row comes from its own discharge quarter's staging rows:
--   only new or changed quarters are rebuilt, pipelines/measures/incremental_events.py)
CREATE OR REPLACE TABLE marts.ash_0_4_events AS
WITH eligible_events AS (
    SELECT e.*,
           CASE getvariable('diagnosis_position')
               WHEN 'principal' THEN [e.principal_diagnosis]
               ELSE list_prepend(e.principal_diagnosis, e.other_diagnoses)
           END AS diagnoses_considered
    FROM staging.nmds_events e
    WHERE e.age_years BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
      AND counted_nmds_event(e.event_type, e.admission_source, e.health_specialty, e.los_days,
                             e.purchaser_code)
),
-- A diagnosis matches a listed code when it starts with it: when its first length(code)
-- characters are the code. So each diagnosis considered is cut to every length a listed code
-- has and joined on equality, instead of testing every event against every code (5 s on five
-- national years).
diagnosis_prefixes AS (
    SELECT e.*, left(e.diagnosis, l.n) AS prefix
    FROM (SELECT *, unnest(diagnoses_considered) AS diagnosis FROM eligible_events) e
    CROSS JOIN (SELECT DISTINCT length(icd10am_code) AS n FROM ref.ash_conditions) l
)
SELECT
    e.event_id, e.district_code, e.group4_id, e.discharge_date, e.discharge_quarter,
    e.discharge_date AS event_date,
    arg_min(c.condition, c.icd10am_code) AS condition
FROM diagnosis_prefixes e
JOIN ref.ash_conditions c ON c.icd10am_code = e.prefix
WHERE e.age_months >= c.age_min_months
  AND (c.age_max_months IS NULL OR e.age_months <= c.age_max_months)
  AND (list_contains(getvariable('admission_types'), e.admission_type)
       OR (c.includes_elective = 'yes'
           AND list_contains(getvariable('elective_admission_types'), e.admission_type)))
GROUP BY ALL;

-- Numerator and denominator for every window × district × ethnic group, zero counts included.
CREATE OR REPLACE TABLE marts.ash_0_4_cells AS
SELECT * FROM population_rate_cells('marts.ash_0_4_events', 'nmds_events',
                                    getvariable('age_min_years'), getvariable('age_max_years'));
