-- One decomposition's inputs into marts.change_inputs (definitions in change_inputs.sql).
-- Amenable mortality: each condition group's part of the DSR.
-- Settings this SQL does not implement stop the run instead of being ignored.
SELECT CASE
    WHEN getvariable('am_standard_population') <> 'who_2000_2025'
        THEN error('change_inputs: cause_group implements the who_2000_2025 standard only')
    WHEN NOT getvariable('am_renormalise_weights')
        THEN error('change_inputs: cause_group implements renormalise_weights: true only')
END;

INSERT INTO marts.change_inputs
WITH bands AS (
    SELECT c.period_start, c.period_end, c.withheld, c.district_code, c.breakdown, c.stratum,
           sum(c.numerator) AS deaths, sum(c.denominator) AS person_years
    FROM marts.amenable_mortality_cells c
    WHERE c.breakdown <> ''
    GROUP BY ALL
    UNION ALL
    SELECT period_start, period_end, bool_or(withheld), '000', breakdown, stratum,
           sum(numerator), sum(denominator)
    FROM marts.amenable_mortality_cells
    WHERE breakdown <> ''
    GROUP BY period_start, period_end, breakdown, stratum
),
weighted AS (
    SELECT b.*, s.who_2000_2025_pct AS weight
    FROM bands b JOIN ref.standard_population s ON s.age_group = b.stratum
)
SELECT 'amenable_mortality', 'cause_group', district_code, period_start, period_end, bool_or(withheld),
       breakdown, sum(deaths), sum(person_years), NULL,
       -- a band with no people and no deaths adds 0 and keeps its weight (as the measure does)
       sum(CASE WHEN deaths = 0 THEN 0 ELSE deaths * weight / person_years END) / sum(weight)
           * getvariable('am_multiplier')
FROM weighted
GROUP BY district_code, period_start, period_end, breakdown;
