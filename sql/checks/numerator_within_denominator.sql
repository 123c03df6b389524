-- Check (proportions): numerator <= denominator; a share of more than everyone is a counting error.
-- Returns the offending rows of measure $measure_id.
SELECT district_code, period_end, group_id, breakdown, numerator, denominator
FROM marts.measures
WHERE measure_id = $measure_id AND numerator > denominator
