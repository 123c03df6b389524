-- One line per source × period for the dashboards' data-quality panel: the contract verdict,
-- the rules that failed, and the row accounting (read = loaded + quarantined); then one line per
-- rejected file (status 'rejected'), saying which file the figures use instead.
WITH rows AS (
    SELECT source_id, period, sum(rows_read) AS rows_read, sum(rows_loaded) AS rows_loaded,
           sum(rows_quarantined) AS rows_quarantined
    FROM meta.provenance WHERE status = 'loaded' GROUP BY ALL
),
failed AS (
    SELECT source_id, period,
           string_agg(rule_id || ' (' || severity || ', ' || coalesce(unexpected_count, 0) || ' rows)', '; '
                      ORDER BY severity, rule_id) AS failed_rules
    FROM meta.dq_rule_results WHERE NOT passed GROUP BY ALL
)
SELECT s.source_id, s.period, s.status, coalesce(f.failed_rules, '') AS failed_rules,
       r.rows_read, r.rows_loaded, r.rows_quarantined
FROM meta.period_status s
LEFT JOIN failed f USING (source_id, period)
LEFT JOIN rows r USING (source_id, period)
UNION ALL
SELECT source_id, coalesce(period, '—'), 'rejected',
       reason || CASE WHEN kept_file IS NULL THEN '' ELSE '; figures use the file loaded on '
                 || strftime(kept_loaded_at, '%Y-%m-%d') || ' (' || kept_file || ')' END,
       NULL, NULL, NULL
FROM meta.file_rejections
ORDER BY 2 DESC, 1
