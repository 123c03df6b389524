-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Youth SLM, youth experience: felt safe and supported by the service (% positive, Marama survey)
-- definition_version: youth-experience-v1 (choices in measures.yaml → measures.youth_experience)
--
-- Numerator   Respondents aged age_min_years–age_max_years (12–24: no data for 10–12 [C])
--             whose answer to "felt safe and supported" (1–5, 5 = strongly agree) is one of
--             positive_answers: 4 agree, 5 strongly agree.                                    [U]
-- Denominator Respondents of those ages who answered the question; a blank is not an answer. [U]
-- Geography   District of the service surveyed (dhb_code).                                    [I]
-- Period      Calendar year; the survey data are released once a year.                   [C/I]
-- Statistic   Proportion × 100 with Wilson score limits; unweighted (no survey weights).      [I]
-- Suppression Survey cells: fewer than suppression.min_survey_respondents respondents
--             (suppression_basis: respondents).                                               [U]
-- ════════════════════════════════════════════════════════════════════════════════════════════

CREATE OR REPLACE TABLE marts.youth_experience_cells AS
WITH windows AS (SELECT * FROM rolling_windows('youth_survey', 1, 12)),
answered AS (
    SELECT w.period_end, y.district_code, y.group4_id,
           count(*) FILTER (WHERE list_contains(getvariable('positive_answers'), y.q_safe_supported))
               AS numerator,
           count(*) AS denominator
    FROM staging.youth_survey y
    JOIN windows w ON period_start(y.survey_year) BETWEEN w.period_start AND w.period_end
    WHERE y.age BETWEEN getvariable('age_min_years') AND getvariable('age_max_years')
      AND y.q_safe_supported IS NOT NULL
    GROUP BY ALL
)
SELECT * FROM zero_filled_cells('answered', 'youth_survey', 1, 12);
