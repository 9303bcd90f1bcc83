-- name: customer_region_changes
-- description: Customers whose region changed (SCD2 history), with each version's validity window
-- database: gold
SELECT
  customer_id,
  region,
  segment,
  valid_from,
  CASE WHEN is_current THEN NULL ELSE valid_to END                  AS valid_to,
  is_current,
  LAG(region) OVER (PARTITION BY customer_id ORDER BY valid_from)   AS previous_region
FROM dim_customer
WHERE customer_id IN (
  SELECT customer_id FROM dim_customer GROUP BY customer_id HAVING COUNT(DISTINCT region) > 1
)
ORDER BY customer_id, valid_from
