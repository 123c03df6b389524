-- Check: a withheld window carries no value in marts.measures, and a suppressed row carries no
-- numerator, value or limit in the published table (sql/publish/measures_export.sql), which is
-- what exports and dashboards read.
-- Returns the offending rows of measure $measure_id.
SELECT 'withheld' AS why, district_code, period_end, group_id, breakdown
FROM marts.measures
WHERE measure_id = $measure_id AND status = 'withheld'
  AND (value IS NOT NULL OR lower_ci IS NOT NULL OR upper_ci IS NOT NULL)
UNION ALL
SELECT 'suppressed', district_code, period_end, group_id, breakdown
FROM ({published}) AS published
WHERE measure_id = $measure_id AND suppressed
  AND (numerator IS NOT NULL OR value IS NOT NULL OR lower_ci IS NOT NULL OR upper_ci IS NOT NULL)
