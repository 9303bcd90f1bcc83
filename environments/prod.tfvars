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

# Compute (compute_variables.tf): larger capacities, longer retention.
emr_maximum_capacity        = { cpu = "128 vCPU", memory = "512 GB", disk = "4000 GB" }
emr_idle_timeout_minutes    = 30
emr_enable_initial_capacity = true
emr_initial_capacity = {
  Driver   = { worker_count = 1, cpu = "4 vCPU", memory = "16 GB" }
  Executor = { worker_count = 4, cpu = "4 vCPU", memory = "16 GB" }
}
log_retention_days     = 731
mwaa_environment_class = "mw1.medium"
mwaa_min_workers       = 2
mwaa_max_workers       = 10
mwaa_schedulers        = 2
alarm_emails = {
  critical = ["data-platform@example.com", "oncall@example.com"]
  warning  = ["data-platform@example.com"]
}
