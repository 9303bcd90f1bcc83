# Inputs of the compute/operations half (compute.tf). enable_mwaa and enable_quicksight live in
# variables.tf because the storage half (MWAA bucket, execution role) depends on them too.

# ---- EMR Serverless --------------------------------------------------------------------------------

variable "emr_release_label" {
  description = "EMR release of the Spark application; 7.x matches the jobs' pinned Spark 3.5.6 / Delta 3.3.2."
  type        = string
  default     = "emr-7.12.0"

  validation {
    condition     = can(regex("^emr-7\\.[0-9]+\\.[0-9]+$", var.emr_release_label))
    error_message = "Variable emr_release_label must be an EMR 7.x label such as emr-7.12.0 (allowed: ^emr-7\\.<minor>\\.<patch>$)."
  }
}

variable "emr_architecture" {
  description = "Worker architecture of the EMR Serverless application."
  type        = string
  default     = "ARM64"

  validation {
    condition     = contains(["ARM64", "X86_64"], var.emr_architecture)
    error_message = "Variable emr_architecture must be one of: ARM64, X86_64."
  }
}

variable "emr_maximum_capacity" {
  description = "Ceiling on what all running jobs may use together (\"<n> vCPU\", \"<n> GB\"): the cost cap of the application."
  type = object({
    cpu    = string
    memory = string
    disk   = optional(string, "1000 GB")
  })
  default = {
    cpu    = "32 vCPU"
    memory = "128 GB"
    disk   = "1000 GB"
  }

  validation {
    condition = (
      can(regex("^[1-9][0-9]* ?vCPU$", var.emr_maximum_capacity.cpu)) &&
      can(regex("^[1-9][0-9]* ?GB$", var.emr_maximum_capacity.memory)) &&
      can(regex("^[1-9][0-9]* ?GB$", var.emr_maximum_capacity.disk))
    )
    error_message = "Variable emr_maximum_capacity must be { cpu = \"<n> vCPU\", memory = \"<n> GB\", disk = \"<n> GB\" } with positive whole numbers, e.g. { cpu = \"64 vCPU\", memory = \"256 GB\" }."
  }
}

variable "emr_idle_timeout_minutes" {
  description = "Idle minutes before the EMR Serverless application stops (1-10080)."
  type        = number
  default     = 15

  validation {
    condition     = var.emr_idle_timeout_minutes >= 1 && var.emr_idle_timeout_minutes <= 10080
    error_message = "Variable emr_idle_timeout_minutes must be between 1 and 10080."
  }
}

variable "emr_enable_initial_capacity" {
  description = "Keep pre-initialized EMR Serverless workers while the application is started (faster starts, extra cost)."
  type        = bool
  default     = false
}

variable "emr_initial_capacity" {
  description = "Pre-initialized workers by type (Driver, Executor) when emr_enable_initial_capacity is true."
  type = map(object({
    worker_count = number
    cpu          = string
    memory       = string
    disk         = optional(string, "20 GB")
  }))
  default = {
    Driver   = { worker_count = 1, cpu = "2 vCPU", memory = "4 GB" }
    Executor = { worker_count = 2, cpu = "4 vCPU", memory = "8 GB" }
  }

  validation {
    condition     = alltrue([for k in keys(var.emr_initial_capacity) : contains(["Driver", "Executor"], k)])
    error_message = "Variable emr_initial_capacity keys must be Driver and/or Executor."
  }
}

variable "emr_network" {
  description = "Run EMR workers in a VPC (to reach private sources): subnet and security group IDs; null for no VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition = var.emr_network == null || try(
      length(var.emr_network.subnet_ids) > 0 && length(var.emr_network.security_group_ids) > 0 &&
      alltrue([for s in var.emr_network.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))]) &&
      alltrue([for s in var.emr_network.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))]),
    false)
    error_message = "Variable emr_network must be null or { subnet_ids = [\"subnet-...\"], security_group_ids = [\"sg-...\"] }, both non-empty."
  }
}

variable "emr_spark_defaults" {
  description = "Extra spark-defaults for every job run (merged over the Delta/Glue settings)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.emr_spark_defaults) : can(regex("^spark\\.", k))])
    error_message = "Variable emr_spark_defaults keys must be Spark properties starting with \"spark.\"."
  }
}

# ---- MWAA ------------------------------------------------------------------------------------------

variable "mwaa_airflow_version" {
  description = "Airflow version of the MWAA environment. null: the version of the --constraint line in airflow/requirements.txt (what the DAGs are tested with)."
  type        = string
  default     = null

  validation {
    condition     = var.mwaa_airflow_version == null || contains(["3.3.1", "3.2.1", "3.0.6", "2.11.0", "2.10.3", "2.10.1", "2.9.2"], coalesce(var.mwaa_airflow_version, "-"))
    error_message = "Variable mwaa_airflow_version must be null (the version of airflow/requirements.txt) or a version MWAA supports: 3.3.1, 3.2.1, 3.0.6, 2.11.0, 2.10.3, 2.10.1 or 2.9.2."
  }
}

variable "mwaa_environment_class" {
  description = "MWAA environment class."
  type        = string
  default     = "mw1.small"

  validation {
    condition     = contains(["mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge"], var.mwaa_environment_class)
    error_message = "Variable mwaa_environment_class must be one of: mw1.micro, mw1.small, mw1.medium, mw1.large, mw1.xlarge, mw1.2xlarge."
  }
}

variable "mwaa_min_workers" {
  description = "Minimum MWAA workers (1-25)."
  type        = number
  default     = 1

  validation {
    condition     = var.mwaa_min_workers >= 1 && var.mwaa_min_workers <= 25
    error_message = "Variable mwaa_min_workers must be between 1 and 25."
  }
}

variable "mwaa_max_workers" {
  description = "Maximum MWAA workers (1-25, >= mwaa_min_workers)."
  type        = number
  default     = 5

  validation {
    condition     = var.mwaa_max_workers >= 1 && var.mwaa_max_workers <= 25
    error_message = "Variable mwaa_max_workers must be between 1 and 25."
  }
}

variable "mwaa_schedulers" {
  description = "MWAA schedulers (2-5; 1 for mw1.micro)."
  type        = number
  default     = 2

  validation {
    condition     = var.mwaa_schedulers >= 1 && var.mwaa_schedulers <= 5
    error_message = "Variable mwaa_schedulers must be between 1 and 5."
  }
}

variable "mwaa_webserver_access_mode" {
  description = "Airflow UI exposure: PRIVATE_ONLY (VPC only, default) or PUBLIC_ONLY."
  type        = string
  default     = "PRIVATE_ONLY"

  validation {
    condition     = contains(["PRIVATE_ONLY", "PUBLIC_ONLY"], var.mwaa_webserver_access_mode)
    error_message = "Variable mwaa_webserver_access_mode must be one of: PRIVATE_ONLY, PUBLIC_ONLY."
  }
}

variable "mwaa_network" {
  description = "Existing network for MWAA: two private subnet IDs and security group IDs. null: the module creates a VPC (2 private subnets, NAT, SG)."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition = var.mwaa_network == null || try(
      length(var.mwaa_network.subnet_ids) == 2 && length(var.mwaa_network.security_group_ids) > 0 &&
      alltrue([for s in var.mwaa_network.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))]) &&
      alltrue([for s in var.mwaa_network.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))]),
    false)
    error_message = "Variable mwaa_network must be null or { subnet_ids = [two \"subnet-...\"], security_group_ids = [\"sg-...\"] }."
  }
}

variable "mwaa_vpc_cidr" {
  description = "CIDR of the VPC created for MWAA when mwaa_network is null."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.mwaa_vpc_cidr))
    error_message = "Variable mwaa_vpc_cidr must be an IPv4 CIDR block, e.g. 10.42.0.0/16."
  }
}

# ---- monitoring --------------------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of the EMR, Lambda (and created VPC flow-log) log groups, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "Variable log_retention_days must be one of: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "alarm_emails" {
  description = "E-mail subscribers per topic: critical (job failures, critical DQ) and warning (SLA, freshness, volume)."
  type = object({
    critical = optional(list(string), [])
    warning  = optional(list(string), [])
  })
  default = {}

  validation {
    condition     = alltrue([for e in concat(var.alarm_emails.critical, var.alarm_emails.warning) : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Variable alarm_emails must contain only e-mail addresses (name@domain.tld)."
  }
}

variable "freshness_threshold_overrides" {
  description = "Freshness alarm thresholds (<layer>.<table> => minutes) added to or overriding those derived from the DQ suites' freshness checks (max_age_hours)."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for v in values(var.freshness_threshold_overrides) : v >= 5])
    error_message = "Variable freshness_threshold_overrides values must be at least 5 minutes."
  }
}

variable "volume_alarm_mode" {
  description = "Unusual-volume detection on RecordsIn of the extract jobs: anomaly (learned band, no tuning), threshold (volume_thresholds) or off."
  type        = string
  default     = "anomaly"

  validation {
    condition     = contains(["threshold", "anomaly", "off"], var.volume_alarm_mode)
    error_message = "Variable volume_alarm_mode must be one of: threshold, anomaly, off."
  }
}

variable "volume_thresholds" {
  description = "RecordsIn bounds per extract job per hour (threshold mode); a job without bounds gets no volume alarm."
  type = map(object({
    min_records = optional(number)
    max_records = optional(number)
  }))
  default = {}
}

variable "enable_composite_alarms" {
  description = "Create the composite alarms (pipeline-critical, pipeline-degraded); off for the emulator."
  type        = bool
  default     = true
}

variable "enable_dashboards" {
  description = "Create the executive, operations, data-quality and cost dashboards."
  type        = bool
  default     = true
}

# ---- Lambda ------------------------------------------------------------------------------------------

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency per handler: caps how many EMR runs a burst of landing files can start."
  type = object({
    landing_trigger  = number
    failure_notifier = number
  })
  default = {
    landing_trigger  = 5
    failure_notifier = 2
  }

  validation {
    condition     = var.lambda_reserved_concurrency.landing_trigger >= 1 && var.lambda_reserved_concurrency.failure_notifier >= 1
    error_message = "Variable lambda_reserved_concurrency values must be >= 1."
  }
}

variable "lambda_advanced_logging" {
  description = "Lambda JSON logs with levels (advanced logging controls); off writes plain text to the same /aws/lambda/<function> groups."
  type        = bool
  default     = true
}

variable "enable_lambda_dlq" {
  description = "Dead-letter queues for failed asynchronous Lambda invocations."
  type        = bool
  default     = true
}

# ---- QuickSight --------------------------------------------------------------------------------------

variable "quicksight_principal_arns" {
  description = "QuickSight users/groups given read access to the data source, data sets and dashboard (enable_quicksight)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.quicksight_principal_arns : can(regex("^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:[0-9]{12}:(user|group)/.+$", p))])
    error_message = "Variable quicksight_principal_arns must contain QuickSight user or group ARNs (arn:aws:quicksight:<region>:<account>:user|group/...)."
  }
}
