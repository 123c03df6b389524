-- The published measures table: what leaves the warehouse (Parquet/CSV exports, dashboards).
-- Suppressed rows keep their denominator but lose numerator, value and limits; a comparison
-- is suppressed when either of its rates is. Withheld windows have no values already.
SELECT * REPLACE (
    CASE WHEN suppressed THEN NULL ELSE numerator END AS numerator,
    CASE WHEN suppressed THEN NULL ELSE value END     AS value,
    CASE WHEN suppressed THEN NULL ELSE lower_ci END  AS lower_ci,
    CASE WHEN suppressed THEN NULL ELSE upper_ci END  AS upper_ci
)
FROM marts.measures
ORDER BY measure_id, district_code, period_end, group_id, breakdown
