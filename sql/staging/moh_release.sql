-- staging.moh_release: the Ministry's own SLM aggregates, latest release only.
--
-- * Each release recalculates history, so for every sheet (measure) × period_end only the
--   rows of the newest release that contains that period_end are kept [C NSFL-ASH, NSFL-ABD].
--   Release ids are quarter labels (e.g. 2024Q4), which sort in time order.
-- * ethnic_group is the prioritised group4 label or 'Total'; group_id is ours (maori, …, total)
--   and stays NULL for a label we do not know, so reconciliation shows it instead of dropping it.
-- * Values are kept exactly as supplied (no recomputation of the Ministry's rate).
CREATE OR REPLACE TABLE staging.moh_release AS
WITH latest AS (
    SELECT _sheet, period_end, max(release_id) AS release_id
    FROM raw.moh_release
    GROUP BY ALL
)
SELECT
    r._sheet                                   AS measure_id,
    r.release_id,
    r.period_end,
    r.dhb_code                                 AS district_code,
    r.ethnic_group,
    CASE WHEN r.ethnic_group = 'Total' THEN 'total' ELSE g.group_id END AS group_id,
    r.age_group,
    r.numerator,
    r.denominator,
    r.rate
FROM raw.moh_release r
JOIN latest l USING (_sheet, period_end, release_id)
LEFT JOIN ref.ethnic_groups g ON g.group4 = r.ethnic_group;
