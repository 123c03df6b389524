-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Babies living in smokefree homes at six weeks (%)
-- definition_version: smokefree-v1 (choices in measures.yaml → measures.smokefree_6_weeks)
-- Companion: smokefree_6_weeks_unknown.sql, the share of these babies whose status is unknown
-- (same record choice; keep the two `counted babies` queries identical).
--
-- Records     WCTO and LMC six-week records whose contact is at most max_age_days (56) days
--             after birth [C "up to 56 days of age"]; a contact before birth is an error and
--             never counts.
-- One baby    A baby with several such records is counted once, from one record: the first
--             by source_precedence (WCTO before LMC) [U], then the earliest contact [I]. With
--             known_status_first (default false) a known status (in denominator_values) would
--             outrank precedence, so an unknown WCTO record would not hide a known LMC one.  [U]
-- Numerator   Counted babies whose household is recorded smokefree (numerator_values: Y).     [I]
-- Denominator Counted babies recorded Y or N (denominator_values); unknowns excluded — their
--             share is published as smokefree_6_weeks_unknown.                   [I, WCTO QI 19/20]
-- Geography   District (DHB) of domicile on the chosen record.                                 [I]
-- Ethnicity   Prioritised, from the chosen record.                                             [C]
-- Period      Six months by date of birth (each half-year on its own).                         [C]
-- Statistic   Proportion × 100 with Wilson score limits (PHEindicatormethods).                 [I]
-- ════════════════════════════════════════════════════════════════════════════════════════════

-- Counted babies: one record each.
CREATE OR REPLACE TABLE marts.smokefree_6_weeks_babies AS
SELECT s.*
FROM staging.smokefree s
WHERE s.age_days BETWEEN 0 AND getvariable('max_age_days')
  AND list_contains(getvariable('source_precedence'), s.source)
QUALIFY row_number() OVER (
    PARTITION BY s.baby_key
    ORDER BY getvariable('known_status_first')
                 AND NOT list_contains(getvariable('denominator_values'), s.smokefree_status),
             list_position(getvariable('source_precedence'), s.source),
             s.contact_date, s.record_id
) = 1;

-- Numerator and denominator for every half-year × district × ethnic group, zero counts included.
CREATE OR REPLACE VIEW marts.smokefree_6_weeks_counts AS
SELECT w.period_end, b.district_code, b.group4_id,
       count(*) FILTER (WHERE list_contains(getvariable('numerator_values'), b.smokefree_status))
           AS numerator,
       count(*) FILTER (WHERE list_contains(getvariable('denominator_values'), b.smokefree_status))
           AS denominator
FROM marts.smokefree_6_weeks_babies b
JOIN rolling_windows('smokefree', 1, 6) w ON period_start(b.birth_half_year) BETWEEN w.period_start AND w.period_end
GROUP BY ALL;

CREATE OR REPLACE TABLE marts.smokefree_6_weeks_cells AS
SELECT * FROM zero_filled_cells('marts.smokefree_6_weeks_counts', 'smokefree', 1, 6);

-- (smokefree_6_weeks_unknown.sql is a link to this file: both measures count the same babies.)
-- ════════════════════════════════════════════════════════════════════════════════════════════
-- Babies at six weeks whose smokefree-home status is unknown (%): completeness companion of
-- smokefree_6_weeks, published beside it because LMC-sourced status is missing non-randomly.
-- definition_version: smokefree-unknown-v1 (measures.yaml → measures.smokefree_6_weeks_unknown,
-- which inherits every choice of smokefree_6_weeks).                            [I, addendum §6.1]
--
-- Babies      Exactly the counted babies of smokefree_6_weeks.sql: one record each within
--             56 days, WCTO before LMC, then earliest contact (known status first only when
--             known_status_first).
-- Numerator   Counted babies whose chosen record's status is not in denominator_values
--             (U or blank).
-- Denominator All counted babies (Y, N or unknown).
-- So numerator here + denominator of smokefree_6_weeks = denominator here, cell by cell.
-- Geography, ethnicity, period and statistic as smokefree_6_weeks.
-- ════════════════════════════════════════════════════════════════════════════════════════════

CREATE OR REPLACE VIEW marts.smokefree_6_weeks_unknown_counts AS
SELECT w.period_end, b.district_code, b.group4_id,
       count(*) FILTER (WHERE NOT list_contains(getvariable('denominator_values'), b.smokefree_status))
           AS numerator,
       count(*) AS denominator
FROM marts.smokefree_6_weeks_babies b
JOIN rolling_windows('smokefree', 1, 6) w ON period_start(b.birth_half_year) BETWEEN w.period_start AND w.period_end
GROUP BY ALL;

CREATE OR REPLACE TABLE marts.smokefree_6_weeks_unknown_cells AS
SELECT * FROM zero_filled_cells('marts.smokefree_6_weeks_unknown_counts', 'smokefree', 1, 6);
