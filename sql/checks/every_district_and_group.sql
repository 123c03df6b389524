-- Check: every window of measure $measure_id has a row for every district and New Zealand ('000')
-- × every reporting group (reference/report_groups.csv) in each of its breakdowns.
-- Returns the missing district × group × window × breakdown combinations.
WITH windows AS (
    SELECT DISTINCT period_end, breakdown FROM marts.measures WHERE measure_id = $measure_id
),
expected AS (
    SELECT d.district_code, g.group_id, w.period_end, w.breakdown
    FROM (SELECT code3 AS district_code FROM ref.districts UNION ALL SELECT '000') d,
         ref.report_groups g, windows w
)
SELECT e.* FROM expected e
ANTI JOIN (SELECT district_code, group_id, period_end, breakdown FROM marts.measures
           WHERE measure_id = $measure_id) m
    USING (district_code, group_id, period_end, breakdown)
ORDER BY ALL
