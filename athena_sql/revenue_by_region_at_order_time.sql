-- name: revenue_by_region_at_order_time
-- description: Revenue per month by the customer's region when the order was placed (SCD2 version joined by customer_sk) versus today
-- database: gold
SELECT
  f.order_month,
  d.region                  AS region_at_order_time,
  c.region                  AS current_region,
  COUNT(*)                  AS orders,
  SUM(f.amount_usd)         AS revenue_usd
FROM fact_orders f
JOIN dim_customer d ON d.customer_sk = f.customer_sk
JOIN dim_customer c ON c.customer_id = f.customer_id AND c.is_current = true
WHERE f.is_revenue = true
  AND f.order_month >= date_format(current_date - INTERVAL '12' MONTH, '%Y-%m')
GROUP BY f.order_month, d.region, c.region
ORDER BY f.order_month DESC, revenue_usd DESC
