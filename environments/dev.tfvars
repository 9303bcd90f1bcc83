environment = "dev"
region      = "eu-west-1"

enable_mwaa       = false # a dev account usually runs DAGs locally; MWAA costs ~$400/month
enable_quicksight = false
enable_budgets    = true

budget_monthly_limit_usd = 300
budget_alert_emails      = ["data-platform@example.com"]

kms_deletion_window_in_days    = 7
secret_recovery_window_in_days = 7
state_deletion_protection      = false

enable_lakeformation_column_grants      = true
enable_lakeformation_data_cells_filters = false
enable_glue_crawlers                    = false

athena_bytes_scanned_cutoff_per_query = 10737418240 # 10 GiB

lifecycle_days = {
  noncurrent_version_expiry = 30
  athena_results_expiry     = 7
  access_logs_expiry        = 90
}

github = {
  enabled    = true
  repository = "example-org/lakehouse"
}

# Compute (compute_variables.tf)
emr_maximum_capacity     = { cpu = "16 vCPU", memory = "64 GB", disk = "500 GB" }
emr_idle_timeout_minutes = 10
log_retention_days       = 30
alarm_emails = {
  critical = ["data-platform@example.com"]
}
