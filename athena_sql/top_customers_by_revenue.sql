-- name: top_customers_by_revenue
-- description: The 100 customers with the highest lifetime revenue in USD, with engagement and open pipeline (no PII columns)
-- database: gold
SELECT
  customer_id,
  region,
  segment,
  orders,
  lifetime_revenue_usd,
  avg_order_value_usd,
  last_order_ts,
  open_opportunities,
  open_pipeline_usd
FROM customer_360
ORDER BY lifetime_revenue_usd DESC, customer_id
LIMIT 100
