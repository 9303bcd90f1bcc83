variable "function_names" {
  description = "Function names by handler key (landing_trigger, failure_notifier), from local.names."
  type = object({
    landing_trigger  = string
    failure_notifier = string
  })

  validation {
    condition     = alltrue([for n in values(var.function_names) : can(regex("^[A-Za-z0-9_-]{1,64}$", n))])
    error_message = "Variable function_names values must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "source_root" {
  description = "Folder holding one sub-folder per handler (<source_root>/<key>/handler.py), i.e. the repository's lambda/."
  type        = string
}

variable "build_dir" {
  description = "Where the zips are written (ignored by git)."
  type        = string
}

variable "role_arns" {
  description = "Execution role ARN per handler key (module.iam.lambda_role_arns)."
  type = object({
    landing_trigger  = string
    failure_notifier = string
  })

  validation {
    condition     = alltrue([for a in values(var.role_arns) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "Variable role_arns values must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "environment" {
  description = "Environment name passed to the handlers as ENVIRONMENT."
  type        = string

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.environment)
    error_message = "Variable environment must be one of: local, dev, staging, prod."
  }
}

variable "state_table_name" {
  description = "DynamoDB state table (STATE_TABLE): the landing-file ledger lives there."
  type        = string
}

variable "artifacts_bucket_id" {
  description = "Artifacts bucket (ARTIFACTS_BUCKET): schema contracts under contracts/."
  type        = string
}

variable "emr_application_id" {
  description = "EMR Serverless application the landing trigger submits to (EMR_APPLICATION_ID)."
  type        = string
}

variable "emr_execution_role_arn" {
  description = "Job runtime role for StartJobRun (EMR_EXECUTION_ROLE_ARN)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.emr_execution_role_arn))
    error_message = "Variable emr_execution_role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "code_root" {
  description = "S3 URI of the job code (CODE_ROOT), s3://<artifacts>/code."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.code_root))
    error_message = "Variable code_root must be an S3 URI: s3://<bucket>[/prefix]."
  }
}

variable "job_config_uri" {
  description = "S3 URI of the generated job configuration (JOB_CONFIG_URI)."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\\.json$", var.job_config_uri))
    error_message = "Variable job_config_uri must be an S3 URI of a .json object: s3://<bucket>/<key>.json."
  }
}

variable "warning_topic_arn" {
  description = "SNS topic for rejected landing files (WARNING_TOPIC_ARN)."
  type        = string
}

variable "critical_topic_arn" {
  description = "SNS topic for job failures (CRITICAL_TOPIC_ARN)."
  type        = string
}

variable "slack_secret_name" {
  description = "Secrets Manager secret with the Slack webhook (SLACK_SECRET_NAME)."
  type        = string
}

variable "log_group_names" {
  description = "Log group per handler key (from the cloudwatch module, which owns the groups, their KMS key and retention)."
  type = object({
    landing_trigger  = string
    failure_notifier = string
  })
}

variable "env_kms_key_arn" {
  description = "KMS key ARN encrypting the functions' environment variables."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.env_kms_key_arn))
    error_message = "Variable env_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "lake_bucket_id" {
  description = "Lake bucket whose landing prefix triggers the landing Lambda."
  type        = string
}

variable "lake_bucket_arn" {
  description = "ARN of the lake bucket (source ARN of the S3 invoke permission)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_arn))
    error_message = "Variable lake_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "landing_prefix" {
  description = "Key prefix in the lake bucket whose new objects invoke the landing trigger (interfaces.md: landing/)."
  type        = string
  default     = "landing/"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$", var.landing_prefix))
    error_message = "Variable landing_prefix must be a key prefix ending with a slash, e.g. landing/."
  }
}

variable "enable_landing_notification" {
  description = "Create the S3 bucket notification (landing/ -> landing trigger). The bucket may carry only one notification resource."
  type        = bool
  default     = true
}

variable "runtime" {
  description = "Python runtime of both handlers."
  type        = string
  default     = "python3.11"

  validation {
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "Variable runtime must be one of: python3.11, python3.12, python3.13."
  }
}

variable "architecture" {
  description = "Lambda architecture."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "Variable architecture must be one of: arm64, x86_64."
  }
}

variable "timeout_seconds" {
  description = "Timeout per invocation (1-900 s)."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "Variable timeout_seconds must be between 1 and 900."
  }
}

variable "memory_mb" {
  description = "Memory per function (128-10240 MB)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240
    error_message = "Variable memory_mb must be between 128 and 10240."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function: caps how many EMR jobs a burst of landing files can start."
  type = object({
    landing_trigger  = number
    failure_notifier = number
  })
  default = {
    landing_trigger  = 5
    failure_notifier = 2
  }

  validation {
    condition     = alltrue([for v in values(var.reserved_concurrency) : v >= 1 && v <= 1000 && floor(v) == v])
    error_message = "Variable reserved_concurrency values must be whole numbers between 1 and 1000."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing mode."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "Variable tracing_mode must be one of: Active, PassThrough."
  }
}

variable "enable_advanced_logging" {
  description = "Lambda advanced logging controls: JSON log format, application/system log levels and an explicit log group. Off: plain-text logs to the default group /aws/lambda/<function> (the same name)."
  type        = bool
  default     = true
}

variable "log_level" {
  description = "Application log level (with enable_advanced_logging)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "Variable log_level must be one of: TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "enable_dlq" {
  description = "Send failed asynchronous invocations (S3, EventBridge) to an SQS dead-letter queue per function."
  type        = bool
  default     = true
}

variable "dlq_kms_key_arn" {
  description = "KMS key ARN for the dead-letter queues; null uses SQS-managed encryption (SSE-SQS)."
  type        = string
  default     = null

  validation {
    condition     = var.dlq_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.dlq_kms_key_arn))
    error_message = "Variable dlq_kms_key_arn must be a KMS key ARN or null."
  }
}

variable "tags" {
  description = "Extra tags (the provider's default_tags apply too)."
  type        = map(string)
  default     = {}
}
