-- name: current_customers_view
-- description: Creates the view current_customers: the current SCD2 version of every customer, without PII columns
-- database: gold
CREATE OR REPLACE VIEW current_customers AS
SELECT
  customer_sk,
  customer_id,
  country,
  region,
  segment,
  sf_account_id,
  account_name,
  industry,
  match_source,
  valid_from AS current_since
FROM dim_customer
WHERE is_current = true
