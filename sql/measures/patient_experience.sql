-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Patient experience of care: domain scores out of 10, adult inpatient and primary care surveys
-- definition_version: patient-experience-v1 (choices in measures.yaml → measures.patient_experience)
--
-- Item score  Each answer scored 0–10 by reference/pes_items.csv, best = 10; non-evaluative
--             answers ("don't know", "not applicable") have no score and are dropped.        [S/I]
-- Respondent  A respondent's domain score = mean of the domain's items they gave a scored
--             answer to (respondent_domain_score: mean_of_answered_items), if at least
--             min_items_answered (1) are scored; otherwise no score for that domain.           [U]
-- Numerator   Sum of weighted respondent domain scores Σ w·s ("sum of weighted scores out of
--             ten for each of the four domains").                                              [C]
-- Denominator Respondents with a domain score ("number of responders").                       [C]
-- Value       Weighted mean Σ w·s / Σ w with the survey weight w.                              [C/I]
-- Breakdown   survey:domain, e.g. inpatient:communication: four domains × two surveys.       [C]
--             No all-survey or all-domain headline (HQSC reports survey × domain).
-- Geography   dhb_code: inpatient = the hospital's district; primary care = the district the
--             general practice is in. Not the patient's domicile.                              [C]
-- Period      Rolling four survey quarters to each quarter end, each survey on its own
--             quarters (rolling_12_months_quarterly).                                          [U]
-- Statistic   weighted_mean: 95% CI value ∓ t(n_eff − 1)·s_w/√n_eff with Kish n_eff =
--             (Σw)²/Σw² (pipelines/measures/cell_statistics/weighted_mean.py).                      [I]
--             The cells carry Σw, Σw², Σw·s² (sum_* columns) so the CI survives the summing
--             into reporting groups.
-- Suppression Fewer than suppression.min_survey_respondents (30) respondents.                 [U]
-- ════════════════════════════════════════════════════════════════════════════════════════════

SELECT error('patient_experience: respondent_domain_score '
             || getvariable('respondent_domain_score') || ' is not implemented')
WHERE getvariable('respondent_domain_score') <> 'mean_of_answered_items';

-- One row per respondent × domain with a domain score.
-- incremental by: survey_quarter (a respondent's answers are all of one survey quarter, a grouping key:
--   only new or changed quarters are rebuilt, pipelines/measures/incremental_events.py)
CREATE OR REPLACE TABLE marts.patient_experience_respondents AS
SELECT
    a.survey, a.respondent_id, a.survey_quarter, a.district_code, a.group4_id, a.weight, a.domain,
    count(a.score) AS items_scored,
    avg(a.score)   AS score
FROM staging.pes_answers a
WHERE list_contains(getvariable('surveys'), a.survey)
  AND list_contains(getvariable('domains'), a.domain)
  AND a.score IS NOT NULL          -- non-evaluative answers carry no score
  AND a.weight IS NOT NULL         -- an unweighted return cannot enter a weighted mean
GROUP BY ALL
HAVING count(a.score) >= getvariable('min_items_answered');

-- Weighted sums for every window × district × ethnic group × survey:domain, zero cells included.
CREATE OR REPLACE TABLE marts.patient_experience_cells AS
WITH windows AS (
    SELECT 'inpatient' AS survey, * FROM rolling_windows('pes_inpatient', 4, 3)
    UNION ALL
    SELECT 'primary_care' AS survey, * FROM rolling_windows('pes_primary_care', 4, 3)
),
breakdowns AS (
    SELECT w.*, unnest(getvariable('domains')) AS domain
    FROM windows w
    WHERE list_contains(getvariable('surveys'), w.survey)
),
sums AS (
    SELECT b.survey, b.domain, b.period_end, r.district_code, r.group4_id,
           sum(r.weight * r.score)              AS sum_weighted_score,
           count(*)                             AS respondents,
           sum(r.weight)                        AS sum_weight,
           sum(r.weight * r.weight)             AS sum_weight_sq,
           sum(r.weight * r.score * r.score)    AS sum_weighted_score_sq
    FROM marts.patient_experience_respondents r
    JOIN breakdowns b
      ON b.survey = r.survey AND b.domain = r.domain
     AND period_start(r.survey_quarter) BETWEEN b.period_start AND b.period_end
    GROUP BY ALL
)
SELECT
    b.period_start, b.period_end, b.withheld, b.blocking_rules,
    d.code3 AS district_code, g.group_id AS group4_id,
    b.survey || ':' || b.domain AS breakdown, '' AS stratum,
    coalesce(s.sum_weighted_score, 0)    AS numerator,
    coalesce(s.respondents, 0)           AS denominator,
    coalesce(s.sum_weight, 0)            AS sum_weight,
    coalesce(s.sum_weight_sq, 0)         AS sum_weight_sq,
    coalesce(s.sum_weighted_score_sq, 0) AS sum_weighted_score_sq
FROM breakdowns b
CROSS JOIN ref.districts d
CROSS JOIN ref.ethnic_groups g
LEFT JOIN sums s
       ON s.survey = b.survey AND s.domain = b.domain AND s.period_end = b.period_end
      AND s.district_code = d.code3 AND s.group4_id = g.group_id;
