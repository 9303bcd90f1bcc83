variable "name_prefix" {
  description = "Resource name prefix, <project>-<environment>. Buckets are <name_prefix>-<purpose>-<account_id>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,28}$", var.name_prefix))
    error_message = "name_prefix must be 3-29 lowercase letters, digits or hyphens (bucket names must stay within 63 characters)."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key used for SSE-KMS on every bucket that supports it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (true only for throwaway environments such as local)."
  type        = bool
  default     = false
}

variable "enable_mwaa_bucket" {
  description = "Create the bucket MWAA reads DAGs, requirements.txt and startup.sh from."
  type        = bool
  default     = true
}

variable "lifecycle_days" {
  description = "Lifecycle timings in days: intelligent tiering for silver/gold, Glacier for old landing/bronze, noncurrent-version expiry, multipart abort, Athena results and access-log expiry."
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

  validation {
    condition     = alltrue([for k, v in var.lifecycle_days : v >= 1 && v <= 3650 && floor(v) == v])
    error_message = "lifecycle_days values must be whole numbers of days between 1 and 3650."
  }

  validation {
    # S3 refuses transitions to GLACIER from INTELLIGENT_TIERING/STANDARD_IA earlier than 30 days.
    condition     = var.lifecycle_days.landing_to_glacier >= 30 && var.lifecycle_days.bronze_to_glacier >= 30
    error_message = "lifecycle_days.landing_to_glacier and bronze_to_glacier must be at least 30."
  }
}
