-- name: revenue_by_region_last_30_days
-- description: Revenue in USD, orders and customers per region over the last 30 days (gold aggregate)
-- database: gold
SELECT
  region,
  SUM(revenue_usd)                                  AS revenue_usd,
  SUM(orders)                                       AS orders,
  SUM(revenue_orders)                               AS revenue_orders,
  SUM(units)                                        AS units,
  ROUND(SUM(revenue_usd) / NULLIF(SUM(revenue_orders), 0), 2) AS avg_order_value_usd
FROM daily_revenue_by_region_usd
WHERE order_date >= current_date - INTERVAL '30' DAY
GROUP BY region
ORDER BY revenue_usd DESC
