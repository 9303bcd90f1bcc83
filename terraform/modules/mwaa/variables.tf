variable "enabled" {
  description = "Create the MWAA environment (and its network when create_network is true). Off: nothing is created and outputs are null."
  type        = bool
  default     = true
}

variable "name" {
  description = "Environment name (local.names: <prefix>-airflow)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z][0-9A-Za-z_-]{0,79}$", var.name))
    error_message = "Variable name must start with a letter and hold at most 80 letters, digits, hyphens or underscores."
  }
}

variable "airflow_version" {
  description = "Apache Airflow version. Default (also for null): the newest MWAA supports as of September 2026, 3.3.1; keep airflow/requirements.txt's --constraint line on the same version."
  type        = string
  default     = "3.3.1"
  nullable    = false

  validation {
    # MWAA's list (newest first); a version MWAA never offered (e.g. 3.1.6) fails here, not mid-apply.
    condition     = contains(["3.3.1", "3.2.1", "3.0.6", "2.11.0", "2.10.3", "2.10.1", "2.9.2"], var.airflow_version)
    error_message = "Variable airflow_version must be a version MWAA supports: 3.3.1, 3.2.1, 3.0.6, 2.11.0, 2.10.3, 2.10.1 or 2.9.2."
  }
}

variable "environment_class" {
  description = "MWAA environment class."
  type        = string
  default     = "mw1.small"

  validation {
    condition     = contains(["mw1.micro", "mw1.small", "mw1.medium", "mw1.large", "mw1.xlarge", "mw1.2xlarge"], var.environment_class)
    error_message = "Variable environment_class must be one of: mw1.micro, mw1.small, mw1.medium, mw1.large, mw1.xlarge, mw1.2xlarge."
  }
}

variable "min_workers" {
  description = "Minimum Celery workers (1-25)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_workers >= 1 && var.min_workers <= 25 && floor(var.min_workers) == var.min_workers
    error_message = "Variable min_workers must be a whole number between 1 and 25."
  }
}

variable "max_workers" {
  description = "Maximum Celery workers (1-25, >= min_workers)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_workers >= 1 && var.max_workers <= 25 && floor(var.max_workers) == var.max_workers
    error_message = "Variable max_workers must be a whole number between 1 and 25."
  }
}

variable "schedulers" {
  description = "Number of schedulers (2-5; mw1.micro supports 1)."
  type        = number
  default     = 2

  validation {
    condition     = var.schedulers >= 1 && var.schedulers <= 5 && floor(var.schedulers) == var.schedulers
    error_message = "Variable schedulers must be a whole number between 1 and 5."
  }
}

variable "webserver_access_mode" {
  description = "PRIVATE_ONLY keeps the Airflow UI reachable only from inside the VPC."
  type        = string
  default     = "PRIVATE_ONLY"

  validation {
    condition     = contains(["PRIVATE_ONLY", "PUBLIC_ONLY"], var.webserver_access_mode)
    error_message = "Variable webserver_access_mode must be one of: PRIVATE_ONLY, PUBLIC_ONLY."
  }
}

variable "log_level" {
  description = "Log level of every Airflow log type (all five go to CloudWatch)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"], var.log_level)
    error_message = "Variable log_level must be one of: CRITICAL, ERROR, WARNING, INFO, DEBUG."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the environment (metadata DB, logs); its policy must allow MWAA and CloudWatch Logs. Required when enabled."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "Variable kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "execution_role_arn" {
  description = "MWAA execution role (module.iam.mwaa_execution_role_arn). Required when enabled."
  type        = string
  default     = null

  validation {
    condition     = var.execution_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.execution_role_arn))
    error_message = "Variable execution_role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "source_bucket_arn" {
  description = "MWAA bucket ARN (module.s3.mwaa_bucket_arn); versioned, public access blocked. Required when enabled."
  type        = string
  default     = null

  validation {
    condition     = var.source_bucket_arn == null || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.source_bucket_arn))
    error_message = "Variable source_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "dag_s3_path" {
  description = "Folder of the DAGs in the MWAA bucket."
  type        = string
  default     = "dags"
}

variable "requirements_s3_path" {
  description = "Key of requirements.txt in the MWAA bucket (null: none)."
  type        = string
  default     = "requirements.txt"
}

variable "requirements_s3_object_version" {
  description = "S3 object version of requirements.txt (from the upload), so a change re-deploys the environment."
  type        = string
  default     = null
}

variable "startup_script_s3_path" {
  description = "Key of the startup script in the MWAA bucket (null: none)."
  type        = string
  default     = "startup.sh"
}

variable "startup_script_s3_object_version" {
  description = "S3 object version of the startup script (from the upload)."
  type        = string
  default     = null
}

variable "airflow_configuration_options" {
  description = "Airflow configuration overrides (section.key => value)."
  type        = map(string)
  default = {
    "core.load_examples" = "false"
  }

  validation {
    condition     = alltrue([for k in keys(var.airflow_configuration_options) : can(regex("^[a-z_]+\\.[a-z0-9_]+$", k))])
    error_message = "Variable airflow_configuration_options keys must be <section>.<option> in lower case, e.g. core.load_examples."
  }
}

variable "weekly_maintenance_window_start" {
  description = "Weekly maintenance window start (DAY:HH:MM, UTC)."
  type        = string
  default     = "SUN:03:00"

  validation {
    condition     = can(regex("^(MON|TUE|WED|THU|FRI|SAT|SUN):([01][0-9]|2[0-3]):(00|30)$", var.weekly_maintenance_window_start))
    error_message = "Variable weekly_maintenance_window_start must be DAY:HH:MM with DAY one of MON..SUN and MM 00 or 30, e.g. SUN:03:00."
  }
}

variable "create_network" {
  description = "Create a VPC with two private subnets, a NAT gateway and a security group for MWAA. False: pass subnet_ids and security_group_ids."
  type        = bool
  default     = false
}

variable "subnet_ids" {
  description = "Two private subnet IDs in different AZs (when create_network is false)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.subnet_ids) == 0 || (length(var.subnet_ids) == 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))]))
    error_message = "Variable subnet_ids must be empty or exactly two subnet IDs (subnet-xxxxxxxx)."
  }
}

variable "security_group_ids" {
  description = "Security group IDs (when create_network is false); must allow all traffic between members."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.security_group_ids) <= 5 && alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "Variable security_group_ids must hold at most five security group IDs (sg-xxxxxxxx)."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the created VPC (create_network)."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 22, false)
    error_message = "Variable vpc_cidr must be an IPv4 CIDR block of /22 or larger, e.g. 10.42.0.0/16."
  }
}

variable "availability_zones" {
  description = "Two availability zone names for the created subnets (create_network); empty: <region>a and <region>b."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || (length(var.availability_zones) == 2 && alltrue([for z in var.availability_zones : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]$", z))]))
    error_message = "Variable availability_zones must be empty or exactly two zone names such as eu-west-1a, eu-west-1b."
  }
}

variable "flow_log_retention_days" {
  description = "Retention of the created VPC's flow-log group (create_network)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "Variable flow_log_retention_days must be a CloudWatch retention value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "tags" {
  description = "Extra tags (the provider's default_tags apply too)."
  type        = map(string)
  default     = {}
}
