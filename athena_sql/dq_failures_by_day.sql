-- name: dq_failures_by_day
-- description: Failed data-quality checks per day, suite, table and severity from the audit dq_results table
-- database: audit
SELECT
  execution_date,
  suite,
  "table",
  severity,
  COUNT(*)                          AS failed_checks,
  SUM(failed_rows)                  AS failed_rows,
  ARRAY_JOIN(ARRAY_AGG(DISTINCT name), ', ') AS checks
FROM dq_results
WHERE passed = false
  AND execution_date >= current_date - INTERVAL '30' DAY
GROUP BY execution_date, suite, "table", severity
ORDER BY execution_date DESC, severity, failed_checks DESC
