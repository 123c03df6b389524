-- Check: every value lies within its confidence interval, lower_ci <= value <= upper_ci.
-- Rows without an interval (none computed, or a withheld window) are not tested.
-- Returns the offending rows of measure $measure_id.
SELECT district_code, period_end, group_id, breakdown, value, lower_ci, upper_ci
FROM marts.measures
WHERE measure_id = $measure_id
  AND value IS NOT NULL AND lower_ci IS NOT NULL AND upper_ci IS NOT NULL
  AND NOT (lower_ci <= value AND value <= upper_ci)
