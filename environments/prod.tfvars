environment = "prod"
region      = "eu-west-1"

enable_mwaa       = true
enable_quicksight = true
enable_budgets    = true

budget_monthly_limit_usd = 10000
budget_alert_emails      = ["data-platform@example.com", "finops@example.com"]

kms_deletion_window_in_days    = 30
secret_recovery_window_in_days = 30
state_deletion_protection      = true

enable_lakeformation_column_grants      = true
enable_lakeformation_data_cells_filters = true
enable_glue_crawlers                    = true

athena_bytes_scanned_cutoff_per_query = 214748364800 # 200 GiB

# Longer retention in prod.
lifecycle_days = {
  intelligent_tiering       = 30
  landing_to_glacier        = 180
  bronze_to_glacier         = 365
  noncurrent_version_expiry = 180
  athena_results_expiry     = 90
  access_logs_expiry        = 2555 # 7 years
}

github = {
  enabled          = true
  repository       = "example-org/lakehouse"
  state_bucket_arn = "arn:aws:s3:::example-org-lakehouse-tfstate"
}
