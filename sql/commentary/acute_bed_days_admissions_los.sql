-- One decomposition's inputs into marts.change_inputs (definitions in change_inputs.sql).
-- Acute bed days (crude): bed days, stays and population of each window.
INSERT INTO marts.change_inputs
WITH cells AS (
    SELECT period_start, period_end, bool_or(withheld) AS withheld, district_code,
           sum(numerator) AS bed_days, sum(sum_stays) AS stays, sum(denominator) AS population
    FROM marts.acute_bed_days_cells
    GROUP BY period_start, period_end, district_code
)
SELECT 'acute_bed_days_crude', 'admissions_los', district_code, period_start, period_end, withheld,
       'all', bed_days, population, stays, NULL
FROM cells
UNION ALL
SELECT 'acute_bed_days_crude', 'admissions_los', '000', period_start, period_end, bool_or(withheld),
       'all', sum(bed_days), sum(population), sum(stays), NULL
FROM cells
GROUP BY period_start, period_end;
