-- One decomposition's inputs into marts.change_inputs (definitions in change_inputs.sql).
-- ASH 0–4 by ethnic group: the measure's cells, plus New Zealand as the sum of the districts.
INSERT INTO marts.change_inputs
WITH cells AS (
    SELECT period_start, period_end, withheld, district_code, group4_id, numerator, denominator
    FROM marts.ash_0_4_cells WHERE breakdown = ''
    UNION ALL
    SELECT period_start, period_end, bool_or(withheld), '000', group4_id, sum(numerator), sum(denominator)
    FROM marts.ash_0_4_cells WHERE breakdown = ''
    GROUP BY period_start, period_end, group4_id
)
SELECT 'ash_0_4', 'ethnic_group', district_code, period_start, period_end, withheld, group4_id,
       numerator, denominator, NULL, NULL
FROM cells;
