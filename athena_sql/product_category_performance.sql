-- name: product_category_performance
-- description: Units, revenue and share of revenue per product category over the last 90 days
-- database: gold
SELECT
  COALESCE(p.category, 'UNKNOWN')                                   AS category,
  COUNT(DISTINCT p.product_id)                                      AS products_sold,
  SUM(f.quantity)                                                   AS units,
  SUM(f.amount_usd)                                                 AS revenue_usd,
  ROUND(100 * SUM(f.amount_usd) / SUM(SUM(f.amount_usd)) OVER (), 2) AS revenue_share_pct
FROM fact_orders f
JOIN dim_product p ON p.product_sk = f.product_sk
WHERE f.is_revenue = true
  AND f.order_month >= date_format(current_date - INTERVAL '90' DAY, '%Y-%m')
  AND f.order_date >= current_date - INTERVAL '90' DAY
GROUP BY COALESCE(p.category, 'UNKNOWN')
ORDER BY revenue_usd DESC
