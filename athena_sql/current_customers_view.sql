-- name: current_customers_view
-- description: The current SCD2 version of every customer, without PII columns
-- database: gold
-- column: customer_sk bigint
-- column: customer_id string
-- column: country string
-- column: region string
-- column: segment string
-- column: sf_account_id string
-- column: account_name string
-- column: industry string
-- column: match_source string
-- column: current_since timestamp
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
