environment = "staging"
region      = "eu-west-1"

enable_mwaa       = true
enable_quicksight = false
enable_budgets    = true

budget_monthly_limit_usd = 1500
budget_alert_emails      = ["data-platform@example.com"]

kms_deletion_window_in_days    = 30
secret_recovery_window_in_days = 30
state_deletion_protection      = true

enable_lakeformation_column_grants      = true
enable_lakeformation_data_cells_filters = false
enable_glue_crawlers                    = true
# The Glue catalog encryption settings are account-wide: staging shares the dev account here.
enable_glue_catalog_encryption = false
lakeformation_tag_keys = {
  domain      = "staging_domain"
  sensitivity = "staging_sensitivity"
  layer       = "staging_layer"
}

athena_bytes_scanned_cutoff_per_query = 53687091200 # 50 GiB

github = {
  enabled         = true
  repository      = "example-org/lakehouse"
  create_provider = false
  provider_arn    = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
}

# Compute (compute_variables.tf)
emr_maximum_capacity   = { cpu = "32 vCPU", memory = "128 GB", disk = "1000 GB" }
log_retention_days     = 90
mwaa_environment_class = "mw1.small"
mwaa_min_workers       = 1
mwaa_max_workers       = 3
alarm_emails = {
  critical = ["data-platform@example.com"]
  warning  = ["data-platform@example.com"]
}
