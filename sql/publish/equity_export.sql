-- The published equity table: each group's ratio to and difference from the comparator group,
-- null where either side is suppressed. The comparator and the confidence level are also said
-- in words for a spreadsheet user (`method` already names the interval method in words).
SELECT e.* REPLACE (
    CASE WHEN suppressed THEN NULL ELSE rate_ratio END      AS rate_ratio,
    CASE WHEN suppressed THEN NULL ELSE rr_lower END        AS rr_lower,
    CASE WHEN suppressed THEN NULL ELSE rr_upper END        AS rr_upper,
    CASE WHEN suppressed THEN NULL ELSE rate_difference END AS rate_difference,
    CASE WHEN suppressed THEN NULL ELSE rd_lower END        AS rd_lower,
    CASE WHEN suppressed THEN NULL ELSE rd_upper END        AS rd_upper
),
    g.label || ' (' || e.comparator_group || ')' AS comparator,
    c.confidence_level
FROM marts.equity e
LEFT JOIN ref.report_groups g ON g.group_id = e.comparator_group
LEFT JOIN (SELECT measure_id, printf('%g%%', any_value(confidence) * 100) AS confidence_level
           FROM marts.measures GROUP BY measure_id) c USING (measure_id)
ORDER BY measure_id, district_code, period_end, group_id, breakdown
