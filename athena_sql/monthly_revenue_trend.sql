-- name: monthly_revenue_trend
-- description: Revenue in USD per calendar month with month-over-month growth (fact_orders joined to dim_date)
-- database: gold
WITH monthly AS (
  SELECT
    d.year,
    d.month,
    d.month_name,
    SUM(f.amount_usd)              AS revenue_usd,
    COUNT(DISTINCT f.customer_id)  AS customers
  FROM fact_orders f
  JOIN dim_date d ON d.date_key = f.date_key
  WHERE f.is_revenue = true
  GROUP BY d.year, d.month, d.month_name
)
SELECT
  year,
  month,
  month_name,
  revenue_usd,
  customers,
  ROUND(100 * (revenue_usd - LAG(revenue_usd) OVER (ORDER BY year, month))
        / NULLIF(LAG(revenue_usd) OVER (ORDER BY year, month), 0), 1) AS mom_growth_pct
FROM monthly
ORDER BY year DESC, month DESC
