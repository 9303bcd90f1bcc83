variable "name_prefix" {
  description = "Resource name prefix, <project>-<environment>. Roles are <name_prefix>-<purpose>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "project" {
  description = "Project name; with environment, the Project/Environment tag values that scope tag-conditioned statements."
  type        = string
}

variable "environment" {
  description = "Environment name (local, dev, staging, prod)."
  type        = string

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of: local, dev, staging, prod."
  }
}

variable "buckets" {
  description = "Bucket ARNs: lake, artifacts, athena_results, and mwaa (null when MWAA is off)."
  type = object({
    lake           = string
    artifacts      = string
    athena_results = string
    mwaa           = optional(string)
  })

  validation {
    condition     = alltrue([for k, v in var.buckets : v == null || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", v))])
    error_message = "buckets values must be S3 bucket ARNs (arn:aws:s3:::<bucket>)."
  }
}

variable "kms_key_arns" {
  description = "KMS key ARNs by purpose: lake, logs, secrets."
  type = object({
    lake    = string
    logs    = string
    secrets = string
  })

  validation {
    condition     = alltrue([for k, v in var.kms_key_arns : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", v))])
    error_message = "kms_key_arns values must be KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "state_table_arn" {
  description = "ARN of the DynamoDB state table (watermarks, locks, landing ledger)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/.+$", var.state_table_arn))
    error_message = "state_table_arn must be a DynamoDB table ARN (arn:aws:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "delta_log_table_arn" {
  description = "ARN of the Delta commit-coordination table (modules/state delta_log); null when Delta's S3 log store is not coordinated."
  type        = string
  default     = null

  validation {
    condition     = var.delta_log_table_arn == null || can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/.+$", var.delta_log_table_arn))
    error_message = "delta_log_table_arn must be a DynamoDB table ARN (arn:aws:dynamodb:<region>:<account>:table/<name>)."
  }
}

variable "secret_arns" {
  description = "Secrets Manager ARNs by short name (snowflake, redshift, salesforce, kafka, fx-api, slack-webhook)."
  type        = map(string)

  validation {
    condition     = alltrue([for k, v in var.secret_arns : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", v))])
    error_message = "secret_arns values must be Secrets Manager secret ARNs."
  }
}

variable "names" {
  description = "Names of resources the roles touch (root local.names): glue_databases (map by layer), emr_log_group, lambda_functions (map), mwaa_environment, topics (map critical/warning), athena_workgroup."
  type = object({
    glue_databases   = map(string)
    emr_log_group    = string
    lambda_functions = map(string)
    mwaa_environment = string
    topics           = map(string)
    athena_workgroup = string
  })
}

variable "emr_log_prefix" {
  description = "Prefix in the artifacts bucket where EMR Serverless writes job logs."
  type        = string
  default     = "logs/emr/"

  validation {
    condition     = can(regex("^[a-z0-9/_-]+/$", var.emr_log_prefix))
    error_message = "emr_log_prefix must be a key prefix ending in / (e.g. logs/emr/)."
  }
}

variable "emr_application_arn" {
  description = "ARN of the EMR Serverless application the runtime roles (MWAA, landing trigger, failure notifier) start and watch runs on."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:emr-serverless:[a-z0-9-]+:[0-9]{12}:/applications/[A-Za-z0-9]+$", var.emr_application_arn))
    error_message = "emr_application_arn must be an EMR Serverless application ARN (arn:aws:emr-serverless:<region>:<account>:/applications/<id>)."
  }
}

variable "emr_configuration_overrides_key" {
  description = "Key in the artifacts bucket of the StartJobRun configurationOverrides JSON (read by the landing trigger)."
  type        = string
  default     = "config/emr_configuration_overrides.json"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_.-]+\\.json$", var.emr_configuration_overrides_key))
    error_message = "emr_configuration_overrides_key must be an S3 key ending in .json."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the jobs publish to (Lakehouse/<env>)."
  type        = string
}

variable "enable_mwaa" {
  description = "Create the MWAA execution role."
  type        = bool
  default     = true
}

variable "enable_glue_crawler" {
  description = "Create the Glue crawler role."
  type        = bool
  default     = false
}

variable "enable_analyst" {
  description = "Create the analyst role (Athena queries over granted layers; QuickSight may assume it)."
  type        = bool
  default     = true
}

variable "analyst_layers" {
  description = "Lake layers the analyst role reads (Lake Formation still decides columns)."
  type        = list(string)
  default     = ["gold"]
}

variable "analyst_trusted_principal_arns" {
  description = "IAM principals allowed to assume the analyst role; empty means the account root (delegated to IAM policies)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.analyst_trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$", a))])
    error_message = "analyst_trusted_principal_arns must be IAM ARNs (arn:aws:iam::<12-digit account>:role/<name>, :user/<name> or :root)."
  }
}

variable "github" {
  description = "GitHub Actions OIDC: repository (owner/name), whether to create the account's OIDC provider or reuse provider_arn, and the token subjects allowed to plan and apply."
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
    condition     = var.github.provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token.actions.githubusercontent.com$", var.github.provider_arn))
    error_message = "github.provider_arn must be arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com."
  }

  validation {
    condition     = var.github.state_bucket_arn == null || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.github.state_bucket_arn))
    error_message = "github.state_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}
