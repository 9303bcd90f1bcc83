-- name: revenue_orders_view
-- description: Revenue orders (cancelled and returned left out) with the customer's region when the order was placed, without PII columns
-- database: gold
-- column: order_id string
-- column: order_date date
-- column: order_month string
-- column: customer_id string
-- column: region_at_order_time string
-- column: product_id string
-- column: quantity int
-- column: currency string
-- column: amount decimal(18,2)
-- column: amount_usd decimal(18,2)
CREATE OR REPLACE VIEW revenue_orders AS
SELECT
  f.order_id,
  f.order_date,
  f.order_month,
  f.customer_id,
  d.region AS region_at_order_time,
  f.product_id,
  f.quantity,
  f.currency,
  f.amount,
  f.amount_usd
FROM fact_orders f
JOIN dim_customer d ON d.customer_sk = f.customer_sk
WHERE f.is_revenue = true
