-- Reporting groups from a measure's cells: each district and New Zealand ('000') × each
-- reporting group (reference/report_groups.csv: Māori, Pacific, nMnP, total, Asian,
-- European/Other) × breakdown × stratum, summing numerators and denominators.
-- {cells} is the measure's cells table; {extra_sums} sums its extra `sum_*` columns the same way
-- (e.g. the weights a weighted mean's confidence interval needs), empty when there are none.
WITH members AS (
    SELECT group_id, unnest(string_split(members, '|')) AS group4_id FROM ref.report_groups
),
cells AS (
    SELECT c.*, m.group_id FROM {cells} c JOIN members m USING (group4_id)
)
SELECT period_start, period_end, any_value(withheld) AS withheld,
       any_value(blocking_rules) AS blocking_rules,
       district_code, group_id, breakdown, stratum,
       sum(numerator) AS numerator, sum(denominator) AS denominator{extra_sums}
FROM cells
GROUP BY period_start, period_end, district_code, group_id, breakdown, stratum
UNION ALL
SELECT period_start, period_end, any_value(withheld), any_value(blocking_rules),
       '000' AS district_code, group_id, breakdown, stratum,
       sum(numerator), sum(denominator){extra_sums}
FROM cells
GROUP BY period_start, period_end, group_id, breakdown, stratum
