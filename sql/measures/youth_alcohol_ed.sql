-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Youth SLM, alcohol and other drugs: alcohol-related share of ED presentations (%), ages 10–24
-- definition_version: youth-alcohol-ed-v2 (choices in measures.yaml → measures.youth_alcohol_ed)
-- The headline is HQMNZ's own form [C, addendum §6.2]. youth_alcohol_ed_rate.sql is a link to
-- this file: our companion per 100,000 residents counts the same presentations.
--
-- Numerator   ED presentations (NNPAC) of people aged 10–24 at presentation (completed years)
--             "serviced in DHB hospitals" whose answer to "Is alcohol associated with this
--             event?" is in alcohol_values: Y and U, the literal HQMNZ "yes or unknown" (may
--             have meant yes or secondary).                                                    [C/I]
--             A blank answer is not "Unknown" and is not counted.                              [I]
-- Denominator All ED presentations of 10–24 year olds serviced in DHB hospitals: the same
--             presentations whatever their alcohol answer.                                      [C]
-- ED          Purchase unit in ed_purchase_units (ED02001 … ED06001A); did-not-attend and
--             did-not-wait (exclude_attendance_codes) and follow-ups (exclude_service_types)
--             are not presentations (MoH Emergency Department Use 2014/15, via SWA).           [S]
-- Geography   DHB of service (the ED's district) [C HQMNZ]; numerator and denominator come
--             from the same EDs. geography: dhb_of_domicile is the alternative.
-- Period      Rolling 12 months to each quarter end, by presentation date.                    [U]
-- Statistic   Proportion × 100 with Wilson score limits (PHEindicatormethods).               [I]
-- Counting    Presentations, not people: a young person presenting twice counts twice.       [C]
--
-- Companion youth_alcohol_ed_rate (ours, not HQMNZ's; asked by issue #5) [I]
-- Numerator   The alcohol-related presentations above.
-- Denominator Estimated resident population aged 10–24 at 30 June inside the window
--             (staging.population, via population_in_ages). Events are by DHB of service,
--             residents by district: a district's rate includes visitors' presentations; the
--             national rate has no such mismatch.
-- Statistic   Crude rate per 100,000; exact Poisson limits under 10 events, Byar from 10.
-- ════════════════════════════════════════════════════════════════════════════════════════════

-- ED presentations of 10–24 year olds, one row each, under the district they are reported by.
-- incremental by: presentation_quarter (a presentation's row comes from its own quarter's staging rows:
--   only new or changed quarters are rebuilt, pipelines/measures/incremental_events.py)
CREATE OR REPLACE TABLE marts.youth_alcohol_ed_presentations AS
SELECT
    e.event_id,
    CASE getvariable('geography')
        WHEN 'dhb_of_service' THEN e.dhb_of_service
        WHEN 'dhb_of_domicile' THEN e.dhb_of_domicile
        ELSE error('geography must be dhb_of_service or dhb_of_domicile')
    END AS district_code,
    e.group4_id, e.age_years, e.presentation_date, e.presentation_quarter, e.purchase_unit,
    e.alcohol_related,
    coalesce(list_contains(getvariable('alcohol_values'), e.alcohol_related), false) AS alcohol_counted
FROM staging.nnpac_ed e
WHERE e.age_years BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
  AND list_contains(getvariable('ed_purchase_units'), e.purchase_unit)
  AND NOT list_contains(getvariable('exclude_attendance_codes'), coalesce(e.attendance_code, ''))
  AND NOT list_contains(getvariable('exclude_service_types'), coalesce(e.service_type, ''));

-- The share: alcohol-related presentations among all counted presentations, per window.
CREATE OR REPLACE VIEW marts.youth_alcohol_ed_counts AS
SELECT w.period_end, e.district_code, e.group4_id,
       count(*) FILTER (WHERE e.alcohol_counted) AS numerator,
       count(*) AS denominator
FROM marts.youth_alcohol_ed_presentations e
JOIN rolling_windows('nnpac_ed', 4, 3) w ON e.presentation_date BETWEEN w.period_start AND w.period_end
GROUP BY ALL;

-- Numerator and denominator for every window × district × ethnic group, zero counts included.
CREATE OR REPLACE TABLE marts.youth_alcohol_ed_cells AS
SELECT * FROM zero_filled_cells('marts.youth_alcohol_ed_counts', 'nnpac_ed', 4, 3);

-- Companion: the same alcohol-related presentations per 100,000 residents aged 10–24.
CREATE OR REPLACE VIEW marts.youth_alcohol_ed_rate_counted AS
SELECT *, presentation_date AS event_date FROM marts.youth_alcohol_ed_presentations WHERE alcohol_counted;

CREATE OR REPLACE TABLE marts.youth_alcohol_ed_rate_cells AS
SELECT * FROM population_rate_cells('marts.youth_alcohol_ed_rate_counted', 'nnpac_ed',
                                    getvariable('age_min_years'), getvariable('age_max_years'));

