-- One decomposition's inputs into marts.change_inputs (definitions in change_inputs.sql).
-- ASH 0–4 by chapter of the code list: every window × district × chapter, zero counts included.
INSERT INTO marts.change_inputs
WITH chapter_of AS (SELECT DISTINCT condition, chapter FROM ref.ash_conditions),
windows AS (
    SELECT period_start, period_end, district_code, bool_or(withheld) AS withheld,
           sum(denominator) AS population
    FROM marts.ash_0_4_cells WHERE breakdown = ''
    GROUP BY ALL
),
events AS (
    SELECT w.period_end, e.district_code, c.chapter, count(*) AS admissions
    FROM marts.ash_0_4_events e
    JOIN chapter_of c USING (condition)
    JOIN (SELECT DISTINCT period_start, period_end FROM windows) w
      ON e.event_date BETWEEN w.period_start AND w.period_end
    GROUP BY ALL
),
chapters AS (SELECT DISTINCT chapter FROM events),
cells AS (
    SELECT w.period_start, w.period_end, w.withheld, w.district_code, ch.chapter,
           coalesce(ev.admissions, 0) AS numerator, w.population AS denominator
    FROM windows w
    CROSS JOIN chapters ch
    LEFT JOIN events ev
           ON ev.period_end = w.period_end AND ev.district_code = w.district_code
          AND ev.chapter = ch.chapter
)
SELECT 'ash_0_4', 'condition_group', district_code, period_start, period_end, withheld, chapter,
       numerator, denominator, NULL, NULL
FROM cells
UNION ALL
SELECT 'ash_0_4', 'condition_group', '000', period_start, period_end, bool_or(withheld), chapter,
       sum(numerator), sum(denominator), NULL, NULL
FROM cells
GROUP BY period_start, period_end, chapter;
