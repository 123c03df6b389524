-- The published measures table: what leaves the warehouse (Parquet/CSV exports, dashboards).
-- Suppressed rows keep their denominator but lose numerator, value and limits; a comparison
-- is suppressed when either of its rates is. Withheld windows have no values already.
--
-- Every row says how to recompute its value (value_formula, from its own columns: numerator,
-- denominator, multiplier, weight_sum, expected, reference_rate; standard_population for a
-- DSR), and in words: the confidence level, the interval method and the equity comparator.
-- Column meanings: docs/warehouse.md and slm_measures_dictionary.csv beside the export.
WITH comparators AS (
    SELECT e.measure_id, any_value(e.comparator_group) AS comparator_group,
           any_value(g.label) AS comparator_label
    FROM marts.equity e LEFT JOIN ref.report_groups g ON g.group_id = e.comparator_group
    GROUP BY e.measure_id
)
SELECT m.* REPLACE (
    CASE WHEN suppressed THEN NULL ELSE numerator END AS numerator,
    CASE WHEN suppressed THEN NULL ELSE value END     AS value,
    CASE WHEN suppressed THEN NULL ELSE lower_ci END  AS lower_ci,
    CASE WHEN suppressed THEN NULL ELSE upper_ci END  AS upper_ci
),
    printf('%g%%', confidence * 100) AS confidence_level,
    -- `method` as the statistics module names it; ci_method says it for a spreadsheet user.
    CASE
        WHEN method = 'Exact' THEN 'exact Poisson interval (fewer than 10 events)'
        WHEN method = 'Byars' THEN 'Byar''s approximation to the exact Poisson interval (10 or more events)'
        WHEN method = 'Wilson' THEN 'Wilson score interval for a proportion'
        WHEN method = 'Dobson' THEN 'Dobson interval for a directly standardised rate'
        WHEN method LIKE 'weighted mean%' THEN 'Student''s t interval on the Kish effective sample size (effective_n) of the survey weights'
        WHEN method LIKE 'quasi-Poisson%' THEN 'Poisson interval widened for overdispersion (one stay brings many bed days): ' || method
        ELSE method
    END AS ci_method,
    CASE WHEN c.comparator_group IS NULL THEN NULL
         ELSE c.comparator_label || ' (' || c.comparator_group || '): slm_equity compares each group with it'
    END AS comparator
FROM marts.measures m
LEFT JOIN comparators c USING (measure_id)
ORDER BY measure_id, district_code, period_end, group_id, breakdown
