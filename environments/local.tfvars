# Local: the whole platform on an AWS emulator (moto by default). Everything the emulator cannot host
# is switched off here; each switch is a feature users can turn off anyway.
environment       = "local"
emulator_endpoint = "http://127.0.0.1:4566" # the integration test overrides it with -var
source_mode       = "local"                 # jobs read the local stand-ins, not real sources

force_destroy                  = true # moto really writes access logs; destroy must empty the buckets
secret_recovery_window_in_days = 0
state_deletion_protection      = false
kms_deletion_window_in_days    = 7

enable_mwaa       = false # MWAA is not implemented in moto
enable_quicksight = false # QuickSight data sources/data sets are not implemented in moto
enable_budgets    = false # Budgets reads are not implemented in moto

enable_lakeformation_column_grants      = false # moto never reads table_with_columns grants back
enable_lakeformation_data_cells_filters = false # not implemented in moto
enable_glue_crawlers                    = true
enable_glue_catalog_encryption          = true

# moto's caller is arn:aws:iam::123456789012:user/moto (its fixed account).
lakeformation_admin_arns = ["arn:aws:iam::123456789012:user/moto"]

athena_bytes_scanned_cutoff_per_query = 1073741824

# Compute (compute_variables.tf): small and cheap; what moto cannot host is off.
emr_maximum_capacity    = { cpu = "8 vCPU", memory = "32 GB", disk = "200 GB" }
log_retention_days      = 7
enable_composite_alarms = false # composite alarms are not implemented in moto
enable_lambda_dlq       = false # moto does not store a function's DeadLetterConfig
lambda_advanced_logging = false # moto does not store a function's LoggingConfig
