SELECT * REPLACE (
    CASE WHEN suppressed THEN NULL ELSE rate_ratio END      AS rate_ratio,
    CASE WHEN suppressed THEN NULL ELSE rr_lower END        AS rr_lower,
    CASE WHEN suppressed THEN NULL ELSE rr_upper END        AS rr_upper,
    CASE WHEN suppressed THEN NULL ELSE rate_difference END AS rate_difference,
    CASE WHEN suppressed THEN NULL ELSE rd_lower END        AS rd_lower,
    CASE WHEN suppressed THEN NULL ELSE rd_upper END        AS rd_upper
)
FROM marts.equity
ORDER BY measure_id, district_code, period_end, group_id, breakdown
