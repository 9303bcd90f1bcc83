variable "name_prefix" {
  description = "Resource name prefix, <project>-<environment>. Table <name_prefix>-state, secrets <name_prefix>/<name>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key encrypting the state table and the secrets."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "secret_names" {
  description = "Short names of the secrets the jobs read (created empty: values are put by operators, never through Terraform)."
  type        = set(string)
  default     = ["snowflake", "redshift", "salesforce", "kafka", "fx-api", "slack-webhook"]

  validation {
    condition     = alltrue([for s in var.secret_names : can(regex("^[a-z][a-z0-9-]{1,40}$", s))])
    error_message = "secret_names must be lowercase words with hyphens (e.g. fx-api)."
  }
}

variable "secret_recovery_window_in_days" {
  description = "Days a deleted secret stays recoverable: 0 (delete at once, throwaway environments) or 7-30."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_in_days == 0 || (var.secret_recovery_window_in_days >= 7 && var.secret_recovery_window_in_days <= 30)
    error_message = "secret_recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "deletion_protection" {
  description = "Protect the state table (watermarks, locks, landing ledger) from deletion."
  type        = bool
  default     = true
}
