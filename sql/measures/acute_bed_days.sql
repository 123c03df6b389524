-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Acute hospital bed days per 1,000 population
-- definition_version: acute-bed-days-v1 (choices in measures.yaml → measures.acute_bed_days)
--
-- Three published measures come from the events and cells built here: acute_bed_days lists the
-- other two under also_publish (measures.yaml), so this file runs once for the three assets.
--   acute_bed_days        HEADLINE. Indirectly standardised by age band × sex against the
--                         national rates of the same window (PHE calculate_ISRate):
--                         value = O / E × national crude rate, E = Σ national stratum rate ×
--                         the group's stratum population; 95% CI exact (< 10) or Byar on O.  [U]
--   acute_bed_days_crude  Bed days / population × 1,000; exact or Byar limits on bed days.
--   acute_bed_days_who    Directly standardised to the WHO 2000–2025 standard, 5-year bands
--                         with 85+ collapsed; Dobson limits (PHE calculate_dsr).            [C/I]
--             Bed days are not independent Poisson events (one stay brings many bed days), so
--             with interval: quasi_poisson (measures.yaml) all three apply their PHE method to
--             bed days / φ and scale back by φ, the national dispersion Σ bed days² / Σ bed days
--             of the window (pipelines/measures/cell_statistics/_overdispersed.py). On the synthetic
--             data this gives ~94% coverage of the planted truth; Poisson limits gave 38%.     [I]
--
-- Numerator   Bed days of acute hospital stays of the district's residents, all ages.        [C]
--             Bed days of a stay = discharge date − admission date (same-day = 0), all
--             counted in the quarter of discharge (bed_day_rule, period_date).                 [U]
--             No truncation of long stays (los_truncation_days: null).                         [U]
-- Events      Acute admissions: AC (ZC before July 2004); arranged AA excluded.       [C codes/U]
--             Inpatient and day-case events; birth events excluded.                            [I]
--             Short-stay ED events excluded: discharged under ED specialties M05–M08 after
--             less than two days (exclude_ssed, ssed_specialties, ssed_max_los_days).   [C/I/U]
--             Maternity and neonatal specialties excluded (exclude_specialty_groups, mapped
--             by reference/specialty_groups.csv; unmapped specialties are kept).               [U]
--             Same-day stays kept (exclude_same_day: false; they add 0 bed days anyway).       [U]
--             Publicly funded events only: purchaser 35, 34, A0.                             [S/I]
--             Transfers are not excluded: each event holds its own segment of the stay.        [I]
-- Denominator Estimated resident population, all ages, at 30 June inside the window.        [C/I]
-- Geography   District (DHB) of domicile.                                                     [C]
-- Period      Rolling 12 months to each quarter end, by discharge date.                    [C/U]
-- Strata      '<age band>|<sex>': 5-year bands from standardisation_age_bands (last open,
--             85+), sexes M/F. A stay of unknown age or of sex U/I goes to an 'unknown' stratum
--             with no population: counted by the crude rate (and by the WHO rate when its age
--             is known), left out of the indirectly standardised rate.                         [I]
-- Suppression Counts stays (sum_stays; suppression_count in measures.yaml), not bed days:
--             3 stays × 10 days is suppressed. Every counted stay counts, same-day ones too.   [U]
-- Cells       numerator = bed days; sum_stays = stays; sum_bed_days_sq = Σ bed days² over the
--             stays (the national dispersion φ comes from them). publish sums sum_* into groups.
-- ════════════════════════════════════════════════════════════════════════════════════════════

-- Settings this SQL does not implement stop the run instead of being ignored.
SELECT CASE
    WHEN getvariable('bed_day_rule') NOT IN ('discharge_minus_admission', 'same_day_as_one')
        THEN error('acute_bed_days: unknown bed_day_rule ' || getvariable('bed_day_rule'))
    WHEN getvariable('period_date') <> 'discharge_date'
        THEN error('acute_bed_days: only period_date = discharge_date is implemented')
    WHEN EXISTS (SELECT 1 FROM unnest(getvariable('exclude_specialty_groups')) AS x(g)
                 WHERE g NOT IN (SELECT specialty_group FROM ref.specialty_groups))
        THEN error('acute_bed_days: exclude_specialty_groups names a group not in reference/specialty_groups.csv')
END;

-- Standardisation age bands: '0-4', '5-9', …, '85+' (the last band is open).
CREATE OR REPLACE TEMP TABLE abd_age_bands AS
SELECT age_lower, age_upper,
       CASE WHEN age_upper IS NULL THEN age_lower || '+' ELSE age_lower || '-' || age_upper END AS age_band
FROM (
    SELECT age_lower, lead(age_lower) OVER (ORDER BY age_lower) - 1 AS age_upper
    FROM (SELECT unnest(getvariable('standardisation_age_bands')) AS age_lower)
);

-- A population row must sit inside one band, or its people would silently drop out.
SELECT error('acute_bed_days: population ages ' || p.age_lower || '-' || p.age_upper
             || ' straddle the standardisation age bands')
FROM staging.population p
WHERE NOT EXISTS (SELECT 1 FROM abd_age_bands b
                  WHERE p.age_lower >= b.age_lower AND (b.age_upper IS NULL OR p.age_upper <= b.age_upper))
LIMIT 1;

-- Each whole year of age to its band, for an equality join: the range join on the bands took
-- 2.4 s over the national stays. Ages from the last band's lower bound on are in that open band.
CREATE OR REPLACE TEMP TABLE abd_age_of AS
SELECT a.age, b.age_band
FROM abd_age_bands b
JOIN range((SELECT min(age_lower) FROM abd_age_bands), (SELECT max(age_lower) FROM abd_age_bands) + 1) AS a(age)
  ON a.age >= b.age_lower AND (b.age_upper IS NULL OR a.age <= b.age_upper);

-- The stays counted, one row each, with their bed days and standardisation stratum.
-- incremental by: discharge_quarter (a stay's row comes from its own discharge quarter's staging rows:
--   only new or changed quarters are rebuilt, pipelines/measures/incremental_events.py)
CREATE OR REPLACE TABLE marts.acute_bed_days_events AS
WITH events AS (
    SELECT e.*, s.specialty_group
    FROM staging.nmds_events e
    LEFT JOIN ref.specialty_groups s USING (health_specialty)
),
acute_stays AS (
    SELECT *
    FROM events
    WHERE list_contains(getvariable('admission_types'), admission_type)
      AND counted_event_type(event_type)
      AND NOT coalesce(excluded_short_stay_ed(health_specialty, los_days), false)
      AND NOT coalesce(list_contains(getvariable('exclude_specialty_groups'), specialty_group), false)
      AND NOT coalesce(getvariable('exclude_same_day') AND los_days = 0, false)
      AND funded_as_required(purchaser_code)
),
bed_days AS (
    SELECT *,
           CASE getvariable('bed_day_rule')
               WHEN 'discharge_minus_admission' THEN los_days
               WHEN 'same_day_as_one'           THEN greatest(los_days, 1)
           END AS untruncated_bed_days
    FROM acute_stays
)
SELECT
    s.event_id, s.district_code, s.group4_id, s.sex, s.age_years,
    s.admission_date, s.discharge_date, s.discharge_quarter,
    s.health_specialty, s.specialty_group, s.admission_type, s.event_type, s.los_days,
    least(s.untruncated_bed_days, getvariable('los_truncation_days')) AS bed_days,  -- NULL cap = none
    coalesce(b.age_band, 'unknown') AS age_band,
    CASE WHEN list_contains(getvariable('standardisation_sexes'), s.sex) THEN s.sex ELSE 'unknown' END
        AS stratum_sex
FROM bed_days s
LEFT JOIN abd_age_of b
       ON b.age = CASE WHEN s.age_years >= (SELECT max(age) FROM abd_age_of) THEN (SELECT max(age) FROM abd_age_of)
                       ELSE s.age_years END;

-- Bed days and population for every window × district × ethnic group × age band × sex, zero
-- counts included; plus, where they exist, the bed days of the 'unknown' strata (population 0).
CREATE OR REPLACE TABLE marts.acute_bed_days_cells AS
WITH windows AS (SELECT * FROM rolling_windows('nmds_events', 4, 3)),
strata AS (
    SELECT b.age_band, s.sex
    FROM abd_age_bands b
    CROSS JOIN (SELECT unnest(getvariable('standardisation_sexes')) AS sex) s
),
bed_days AS (
    SELECT w.period_end, e.district_code, e.group4_id, e.age_band, e.stratum_sex AS sex,
           sum(e.bed_days) AS bed_days, count(*) AS stays, sum(e.bed_days ^ 2) AS bed_days_sq
    FROM marts.acute_bed_days_events e
    JOIN windows w ON e.discharge_date BETWEEN w.period_start AND w.period_end
    GROUP BY ALL
),
population AS (
    SELECT p.year, p.district_code, p.group4_id, b.age_band, p.sex, sum(p.population) AS population
    FROM staging.population p
    JOIN abd_age_bands b ON p.age_lower >= b.age_lower AND (b.age_upper IS NULL OR p.age_upper <= b.age_upper)
    GROUP BY ALL
),
-- A stratum absent from a loaded population year has no people; a year not loaded is unknown.
population_years AS (SELECT DISTINCT year FROM staging.population)
SELECT
    c.*,
    '' AS breakdown, s.age_band || '|' || s.sex AS stratum,
    coalesce(bd.bed_days, 0) AS numerator,
    CASE WHEN py.year IS NOT NULL THEN coalesce(p.population, 0) END AS denominator,
    coalesce(bd.stays, 0) AS sum_stays,
    coalesce(bd.bed_days_sq, 0) AS sum_bed_days_sq
FROM window_cells('nmds_events', 4, 3) c
CROSS JOIN strata s
LEFT JOIN population_years py ON py.year = population_year(c.period_end)
LEFT JOIN bed_days bd
       ON bd.period_end = c.period_end AND bd.district_code = c.district_code AND bd.group4_id = c.group4_id
      AND bd.age_band = s.age_band AND bd.sex = s.sex
LEFT JOIN population p
       ON p.year = population_year(c.period_end) AND p.district_code = c.district_code
      AND p.group4_id = c.group4_id AND p.age_band = s.age_band AND p.sex = s.sex
UNION ALL
SELECT
    w.period_start, w.period_end, w.withheld, w.blocking_rules,
    bd.district_code, bd.group4_id,
    '' AS breakdown, bd.age_band || '|' || bd.sex AS stratum,
    bd.bed_days AS numerator,
    CASE WHEN py.year IS NOT NULL THEN 0 END AS denominator,
    bd.stays AS sum_stays,
    bd.bed_days_sq AS sum_bed_days_sq
FROM bed_days bd
JOIN windows w USING (period_end)
LEFT JOIN population_years py ON py.year = population_year(w.period_end)
WHERE (bd.age_band = 'unknown' OR bd.sex = 'unknown')
  AND bd.district_code IN (SELECT code3 FROM ref.districts);

-- The two variants publish from the same cells (publish reads marts.<measure_id>_cells).
CREATE OR REPLACE VIEW marts.acute_bed_days_crude_cells AS SELECT * FROM marts.acute_bed_days_cells;
CREATE OR REPLACE VIEW marts.acute_bed_days_who_cells AS SELECT * FROM marts.acute_bed_days_cells;
