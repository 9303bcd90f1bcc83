# Inputs of the storage/catalog/governance half. Compute inputs live in compute_variables.tf.

variable "project" {
  description = "Project name; first part of every resource name (<project>-<environment>)."
  type        = string
  default     = "lakehouse"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project))
    error_message = "project must be 3-20 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (bucket names must fit in 63 characters)."
  }
}

variable "environment" {
  description = "Deployment environment: local (emulator), dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of: local, dev, staging, prod."
  }
}

variable "region" {
  description = "AWS region of the platform."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1 or us-east-1."
  }
}

variable "emulator_endpoint" {
  description = "Emulator endpoint (moto or LocalStack, e.g. http://127.0.0.1:4566). When set, every AWS provider endpoint points there and AWS account checks are skipped. Null for real AWS."
  type        = string
  default     = null

  validation {
    condition     = var.emulator_endpoint == null || can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", var.emulator_endpoint))
    error_message = "emulator_endpoint must be null or an http(s) URL with host and optional port, e.g. http://127.0.0.1:4566."
  }
}

variable "source_mode" {
  description = "How the jobs read sources: aws (real connectors with Secrets Manager credentials) or local (the stand-ins)."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "local"], var.source_mode)
    error_message = "source_mode must be one of: aws, local."
  }
}

variable "tags" {
  description = "Extra tags for every resource (Project, Environment and ManagedBy are always set)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags keys must be at most 128 characters and not start with aws:, values at most 256 characters."
  }
}

variable "force_destroy" {
  description = "Allow destroy to delete non-empty buckets and workgroups (throwaway environments only)."
  type        = bool
  default     = false
}

variable "enable_mwaa" {
  description = "Run Airflow on MWAA: creates the MWAA bucket, execution role and DAG uploads (the environment itself is in compute.tf)."
  type        = bool
  default     = true
}

variable "enable_quicksight" {
  description = "Deploy QuickSight data source, datasets and dashboard (needs an account subscription)."
  type        = bool
  default     = false
}

variable "enable_budgets" {
  description = "Create the monthly cost budget with alerts at 50, 80 and 100 %."
  type        = bool
  default     = true
}

variable "budget_monthly_limit_usd" {
  description = "Monthly cost budget in USD."
  type        = number
  default     = 500

  validation {
    condition     = var.budget_monthly_limit_usd > 0 && var.budget_monthly_limit_usd <= 1000000
    error_message = "budget_monthly_limit_usd must be greater than 0 and at most 1000000."
  }
}

variable "budget_alert_emails" {
  description = "Email addresses that receive budget alerts."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.budget_alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "budget_alert_emails must be email addresses."
  }
}

variable "budget_alert_topic_arns" {
  description = "SNS topic ARNs that receive budget alerts (the topic policy must allow budgets.amazonaws.com)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.budget_alert_topic_arns : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", a))])
    error_message = "budget_alert_topic_arns must be SNS topic ARNs (arn:aws:sns:<region>:<12-digit account>:<name>)."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before a scheduled KMS key deletion completes (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "secret_recovery_window_in_days" {
  description = "Days a deleted secret stays recoverable: 0 (immediate, throwaway environments) or 7-30."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_in_days == 0 || (var.secret_recovery_window_in_days >= 7 && var.secret_recovery_window_in_days <= 30)
    error_message = "secret_recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "state_deletion_protection" {
  description = "Protect the DynamoDB state table (watermarks, locks) from deletion."
  type        = bool
  default     = true
}

variable "lifecycle_days" {
  description = "S3 lifecycle timings in days (see modules/s3): intelligent_tiering, landing_to_glacier, bronze_to_glacier, noncurrent_version_expiry, abort_incomplete_multipart, athena_results_expiry, access_logs_expiry."
  type = object({
    intelligent_tiering        = optional(number, 30)
    landing_to_glacier         = optional(number, 90)
    bronze_to_glacier          = optional(number, 180)
    noncurrent_version_expiry  = optional(number, 90)
    abort_incomplete_multipart = optional(number, 7)
    athena_results_expiry      = optional(number, 30)
    access_logs_expiry         = optional(number, 365)
  })
  default = {}
}

variable "enable_glue_catalog_encryption" {
  description = "Manage the account-wide Glue Data Catalog encryption settings (only one environment per account/region may own them)."
  type        = bool
  default     = true
}

variable "enable_glue_crawlers" {
  description = "Create Delta crawlers over bronze/silver/gold (schema-change detection; Terraform owns the tables)."
  type        = bool
  default     = false
}

variable "glue_crawler_schedule" {
  description = "AWS cron expression for the crawlers, six fields: cron(min hour day-of-month month day-of-week year)."
  type        = string
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(([0-9*,/-]+) ([0-9*,/-]+) ([0-9*,/?LW-]+) ([0-9A-Z*,/-]+) ([0-9A-Z*,/?L#-]+) ([0-9*,/-]+)\\)$", var.glue_crawler_schedule))
    error_message = "glue_crawler_schedule must be an AWS cron expression with six fields, e.g. cron(0 3 * * ? *)."
  }
}

variable "lakeformation_admin_arns" {
  description = "Lake Formation administrators (IAM role/user ARNs). Empty: the IAM principal running Terraform. Must include the principal that applies."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.lakeformation_admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "lakeformation_admin_arns must be IAM role or user ARNs, e.g. arn:aws:iam::123456789012:role/terraform."
  }
}

variable "lakeformation_tag_keys" {
  description = "LF-tag keys (catalog-wide: environments sharing an account need distinct keys)."
  type = object({
    domain      = optional(string, "domain")
    sensitivity = optional(string, "sensitivity")
    layer       = optional(string, "layer")
  })
  default = {}
}

variable "enable_lakeformation_column_grants" {
  description = "Give the analyst role SELECT on PII tables through column-level grants that exclude the PII columns. Off: such tables are withheld unless data-cells filters are on."
  type        = bool
  default     = true
}

variable "enable_lakeformation_data_cells_filters" {
  description = "Create data-cells filters (all rows, PII columns excluded) and grant them to the analyst role when column-level grants are off."
  type        = bool
  default     = false
}

variable "enable_analyst_role" {
  description = "Create the analyst role (Athena queries over analyst_layers; QuickSight may assume it)."
  type        = bool
  default     = true
}

variable "analyst_layers" {
  description = "Lake layers the analyst role can query."
  type        = list(string)
  default     = ["gold"]

  validation {
    condition     = length(var.analyst_layers) > 0 && alltrue([for l in var.analyst_layers : contains(["bronze", "silver", "gold", "quarantine", "audit"], l)])
    error_message = "analyst_layers must be a non-empty subset of: bronze, silver, gold, quarantine, audit."
  }
}

variable "analyst_trusted_principal_arns" {
  description = "IAM principals allowed to assume the analyst role (empty: the account, delegated to IAM policies)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.analyst_trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", a))])
    error_message = "analyst_trusted_principal_arns must be IAM ARNs: arn:aws:iam::<12-digit account>:role/<name>, :user/<name> or :root."
  }
}

variable "athena_bytes_scanned_cutoff_per_query" {
  description = "Athena cancels queries that scan more bytes than this (minimum 10 MiB)."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.athena_bytes_scanned_cutoff_per_query >= 10485760 && var.athena_bytes_scanned_cutoff_per_query <= 7000000000000000
    error_message = "athena_bytes_scanned_cutoff_per_query must be between 10485760 (10 MiB) and 7000000000000000 bytes."
  }
}

variable "github" {
  description = "GitHub Actions OIDC deploy roles: enabled, repository (owner/name), create_provider (false to reuse provider_arn), token subjects for plan/apply, and the Terraform state bucket/key they use."
  type = object({
    enabled          = optional(bool, false)
    repository       = optional(string, "")
    create_provider  = optional(bool, true)
    provider_arn     = optional(string)
    plan_subjects    = optional(list(string))
    apply_subjects   = optional(list(string))
    state_bucket_arn = optional(string)
    state_kms_arn    = optional(string)
  })
  default = {}

  validation {
    condition     = !var.github.enabled || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github.repository))
    error_message = "github.repository must be \"owner/name\" when github.enabled is true."
  }

  validation {
    condition     = var.github.state_bucket_arn == null || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.github.state_bucket_arn))
    error_message = "github.state_bucket_arn must be an S3 bucket ARN, e.g. arn:aws:s3:::my-terraform-state."
  }

  validation {
    condition     = var.github.state_kms_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.github.state_kms_arn))
    error_message = "github.state_kms_arn must be a KMS key ARN, e.g. arn:aws:kms:eu-west-1:123456789012:key/<id>."
  }
}
