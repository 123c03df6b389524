-- Prioritised ethnicity, shared by the staging tables built from unit records that carry up to
-- three level-2 ethnicity codes (NMDS, NNPAC, mortality, smokefree).
--
-- A person's group is that of their valid code ranked highest in the level-1 order
-- Māori > Pacific > Asian > MELAA > Other > European > residual [C, addendum §7]
-- (ref.ethnicity_level2.prio_rank_l1). A person with no valid code is European or Other
-- ("includes Unknown" [C]), and so non-Māori non-Pacific.
CREATE OR REPLACE MACRO prioritised_group4(code_1, code_2, code_3) AS coalesce((
    SELECT arg_min(l2.group4, l2.prio_rank_l1)
    FROM ref.ethnicity_level2 l2
    WHERE l2.level2 IN (code_1, code_2, code_3)
), 'European or Other');

-- The prioritised group of each distinct combination of codes in a raw table, for staging to
-- join on its three codes (IS NOT DISTINCT FROM: a missing code is NULL). Calling
-- prioritised_group4 in a row's join condition made DuckDB carry every column of every row
-- through the subquery's decorrelation: 18 s for five national years of NMDS, 2.3 s this way.
CREATE OR REPLACE MACRO prioritised_ethnic_groups(raw_table) AS TABLE
SELECT c.ethnic_code_1, c.ethnic_code_2, c.ethnic_code_3, g.group_id, g.slm3_id
FROM (SELECT DISTINCT ethnic_code_1, ethnic_code_2, ethnic_code_3 FROM query_table(raw_table)) c
JOIN ref.ethnic_groups g
  ON g.group4 = prioritised_group4(c.ethnic_code_1, c.ethnic_code_2, c.ethnic_code_3);

-- A group4 label as supplied by sources that prioritise ethnicity themselves (ESR, oral health,
-- the youth and patient experience surveys), as its group id; a missing or unrecognised label is
-- European or Other ("includes Unknown" [C, domain reference §3]).
CREATE OR REPLACE MACRO group4_id_of_label(supplied_label) AS coalesce((
    SELECT g.group_id FROM ref.ethnic_groups g WHERE g.group4 = supplied_label
), 'european_other');
