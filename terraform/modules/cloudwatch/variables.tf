variable "name_prefix" {
  description = "Name prefix <project>-<environment> (local.name_prefix in the root module)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name_prefix))
    error_message = "Variable name_prefix must be 3-40 lowercase letters, digits or hyphens, starting with a letter (e.g. lakehouse-prod)."
  }
}

variable "environment" {
  description = "Environment name; selects the metric namespace Lakehouse/<environment>."
  type        = string

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.environment)
    error_message = "Variable environment must be one of: local, dev, staging, prod."
  }
}

variable "log_groups" {
  description = "Log groups to create, by key (emr, landing_trigger, failure_notifier) => name. Names come from local.names."
  type        = map(string)

  validation {
    condition     = alltrue([for n in values(var.log_groups) : can(regex("^[A-Za-z0-9_/.#-]{1,512}$", n))])
    error_message = "Variable log_groups values must be CloudWatch log group names (1-512 of letters, digits, _ / . # -)."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group, in days (a CloudWatch allowed value)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "Variable log_retention_days must be one of: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key ARN for the log groups (its policy must allow logs.<region>.amazonaws.com)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.logs_kms_key_arn))
    error_message = "Variable logs_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "sns_kms_key_arn" {
  description = "KMS key ARN for the SNS topics (its policy must allow cloudwatch.amazonaws.com and events.amazonaws.com to use it)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.sns_kms_key_arn))
    error_message = "Variable sns_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "critical_alarm_emails" {
  description = "E-mail addresses subscribed to the critical topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.critical_alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Variable critical_alarm_emails must contain only e-mail addresses (name@domain.tld)."
  }
}

variable "warning_alarm_emails" {
  description = "E-mail addresses subscribed to the warning topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.warning_alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Variable warning_alarm_emails must contain only e-mail addresses (name@domain.tld)."
  }
}

variable "jobs" {
  description = "Pipeline jobs (emr_jobs/conf/pipeline.yaml) => SLA in minutes; null SLA (streaming) means no SLA alarm."
  type = map(object({
    sla_minutes = optional(number)
  }))
  default = {}

  validation {
    condition     = alltrue([for k, v in var.jobs : can(regex("^[a-z][a-z0-9_]*$", k)) && (v.sla_minutes == null || try(v.sla_minutes > 0, false))])
    error_message = "Variable jobs keys must be snake_case job names and sla_minutes null or > 0."
  }
}

variable "alarm_period_seconds" {
  description = "Evaluation period of the job-failure, DQ and SLA alarms (60-3600 s, multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds <= 3600 && var.alarm_period_seconds % 60 == 0
    error_message = "Variable alarm_period_seconds must be a multiple of 60 between 60 and 3600."
  }
}

variable "job_failure_threshold" {
  description = "Alarm when at least this many JobFailed datapoints (sum) arrive in one period."
  type        = number
  default     = 1

  validation {
    condition     = var.job_failure_threshold >= 1
    error_message = "Variable job_failure_threshold must be >= 1."
  }
}

variable "dq_critical_failure_threshold" {
  description = "Alarm when the sum of DQCriticalFailures in one period reaches this value."
  type        = number
  default     = 1

  validation {
    condition     = var.dq_critical_failure_threshold >= 1
    error_message = "Variable dq_critical_failure_threshold must be >= 1."
  }
}

variable "freshness_tables" {
  description = "Tables watched for staleness, by the Table dimension the DQ freshness check emits (<layer>.<table>) => maximum FreshnessMinutes."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.freshness_tables : can(regex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)?$", k)) && v > 0])
    error_message = "Variable freshness_tables keys must be table names as <layer>.<table> (snake_case) and values (minutes) > 0."
  }
}

variable "volume_alarm_mode" {
  description = "How unusual RecordsIn volume is detected: threshold (min/max per job), anomaly (CloudWatch anomaly detection band per job) or off."
  type        = string
  default     = "threshold"

  validation {
    condition     = contains(["threshold", "anomaly", "off"], var.volume_alarm_mode)
    error_message = "Variable volume_alarm_mode must be one of: threshold, anomaly, off."
  }
}

variable "volume_jobs" {
  description = "Jobs whose RecordsIn volume is watched => optional min_records / max_records per period (threshold mode)."
  type = map(object({
    min_records = optional(number)
    max_records = optional(number)
  }))
  default = {}

  validation {
    condition = alltrue([for k, v in var.volume_jobs :
      can(regex("^[a-z][a-z0-9_]*$", k)) &&
      (v.min_records == null || try(v.min_records >= 0, false)) &&
      (v.max_records == null || try(v.max_records > 0, false)) &&
      (v.min_records == null || v.max_records == null || try(v.max_records > v.min_records, false))
    ])
    error_message = "Variable volume_jobs: keys must be snake_case job names, min_records >= 0, max_records > 0 and > min_records."
  }
}

variable "volume_period_seconds" {
  description = "Period over which RecordsIn is summed for the volume alarms (300-10800 s; Metrics Insights sees 3 hours back)."
  type        = number
  default     = 3600

  validation {
    condition     = var.volume_period_seconds >= 300 && var.volume_period_seconds <= 10800 && var.volume_period_seconds % 60 == 0
    error_message = "Variable volume_period_seconds must be a multiple of 60 between 300 and 10800."
  }
}

variable "anomaly_band_width" {
  description = "Standard deviations of the anomaly detection band (volume_alarm_mode = anomaly)."
  type        = number
  default     = 2

  validation {
    condition     = var.anomaly_band_width > 0 && var.anomaly_band_width <= 10
    error_message = "Variable anomaly_band_width must be > 0 and <= 10."
  }
}

variable "enable_composite_alarms" {
  description = "Create the composite alarms (pipeline-critical, pipeline-degraded). The emulator (moto) has no composite alarms."
  type        = bool
  default     = true
}

variable "enable_failure_event_rule" {
  description = "Create the EventBridge rule sending EMR Serverless job runs in state FAILED to the failure-notifier Lambda."
  type        = bool
  default     = true
}

variable "failure_notifier_function_arn" {
  description = "ARN of the failure-notifier Lambda (module.lambda.function_arns.failure_notifier). Required when enable_failure_event_rule is true."
  type        = string
  default     = null

  validation {
    condition     = var.failure_notifier_function_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", var.failure_notifier_function_arn))
    error_message = "Variable failure_notifier_function_arn must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>) or null."
  }
}

variable "emr_application_id" {
  description = "EMR Serverless application ID: filters the FAILED-job rule and feeds the operations/cost dashboards."
  type        = string
}

variable "lambda_function_names" {
  description = "Lambda function names by key, for the operations dashboard."
  type        = map(string)
  default     = {}
}

variable "athena_workgroup_name" {
  description = "Athena workgroup shown on the cost dashboard (null to omit the widget)."
  type        = string
  default     = null
}

variable "enable_dashboards" {
  description = "Create the four dashboards (executive, operations, data-quality, cost)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Extra tags (the provider's default_tags apply too)."
  type        = map(string)
  default     = {}
}
