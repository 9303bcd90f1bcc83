variable "name" {
  description = "Name of the EMR Serverless application (from local.names in the root module, e.g. lakehouse-prod-spark)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._/#-]{0,63}$", var.name))
    error_message = "Variable name must be 1-64 characters of letters, digits and . _ / # - (EMR Serverless application name rules)."
  }
}

variable "release_label" {
  description = "EMR release label. Must be a 7.x release: the jobs pin Spark 3.5.6 and Delta 3.3.2, which emr-7.12.0 ships."
  type        = string
  default     = "emr-7.12.0"

  validation {
    condition     = can(regex("^emr-7\\.[0-9]+\\.[0-9]+$", var.release_label))
    error_message = "Variable release_label must be an EMR 7.x label such as emr-7.12.0 (allowed: ^emr-7\\.<minor>\\.<patch>$), because the jobs are pinned to Spark 3.5 / Delta 3.3."
  }
}

variable "architecture" {
  description = "CPU architecture of the workers. ARM64 (Graviton) is cheaper per vCPU-hour for Spark."
  type        = string
  default     = "ARM64"

  validation {
    condition     = contains(["ARM64", "X86_64"], var.architecture)
    error_message = "Variable architecture must be one of: ARM64, X86_64."
  }
}

variable "maximum_capacity" {
  description = "Upper bound on the resources all running jobs of the application may use together (the cost ceiling). Units: \"<n> vCPU\", \"<n> GB\"."
  type = object({
    cpu    = string
    memory = string
    disk   = optional(string, "1000 GB")
  })

  validation {
    condition     = can(regex("^[1-9][0-9]* ?vCPU$", var.maximum_capacity.cpu))
    error_message = "Variable maximum_capacity.cpu must be a positive whole number of vCPU, e.g. \"64 vCPU\"."
  }
  validation {
    condition     = can(regex("^[1-9][0-9]* ?GB$", var.maximum_capacity.memory))
    error_message = "Variable maximum_capacity.memory must be a positive whole number of GB, e.g. \"256 GB\"."
  }
  validation {
    condition     = can(regex("^[1-9][0-9]* ?GB$", var.maximum_capacity.disk))
    error_message = "Variable maximum_capacity.disk must be a positive whole number of GB, e.g. \"1000 GB\"."
  }
  validation {
    # Workers need 2-8 GB per vCPU, so a ceiling below 2 GB/vCPU can never be used in full.
    # (try: a malformed value is already reported by the format checks above.)
    condition     = try(tonumber(regex("^[0-9]+", var.maximum_capacity.memory)) >= 2 * tonumber(regex("^[0-9]+", var.maximum_capacity.cpu)), true)
    error_message = "Variable maximum_capacity.memory must be at least 2 GB per vCPU of maximum_capacity.cpu (EMR Serverless workers need 2-8 GB per vCPU)."
  }
}

variable "auto_start_enabled" {
  description = "Start the application automatically when a job is submitted."
  type        = bool
  default     = true
}

variable "auto_stop_enabled" {
  description = "Stop the application after it has been idle for idle_timeout_minutes (releases pre-initialized capacity)."
  type        = bool
  default     = true
}

variable "idle_timeout_minutes" {
  description = "Idle minutes before an auto-stop (1-10080)."
  type        = number
  default     = 15

  validation {
    condition     = var.idle_timeout_minutes >= 1 && var.idle_timeout_minutes <= 10080 && floor(var.idle_timeout_minutes) == var.idle_timeout_minutes
    error_message = "Variable idle_timeout_minutes must be a whole number between 1 and 10080."
  }
}

variable "enable_initial_capacity" {
  description = "Keep pre-initialized (warm) workers so jobs start in seconds. Costs money while the application is started."
  type        = bool
  default     = false
}

variable "initial_capacity" {
  description = "Pre-initialized workers by type (keys: Driver, Executor). Used only when enable_initial_capacity is true."
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
    condition     = alltrue([for k in keys(var.initial_capacity) : contains(["Driver", "Executor"], k)])
    error_message = "Variable initial_capacity keys must be Driver and/or Executor."
  }
  validation {
    condition = alltrue([for v in values(var.initial_capacity) :
      v.worker_count >= 1 && floor(v.worker_count) == v.worker_count &&
      can(regex("^(1|2|4|8|16) ?vCPU$", v.cpu)) && can(regex("^[1-9][0-9]* ?GB$", v.memory)) && can(regex("^[1-9][0-9]* ?GB$", v.disk))
    ])
    error_message = "Variable initial_capacity: worker_count must be a whole number >= 1, cpu one of 1, 2, 4, 8, 16 vCPU, memory and disk \"<n> GB\"."
  }
}

variable "enable_vpc" {
  description = "Run the workers inside a VPC (needed to reach private sources such as Redshift or Kafka)."
  type        = bool
  default     = false
}

variable "subnet_ids" {
  description = "Private subnet IDs for the workers (required when enable_vpc is true)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "Variable subnet_ids must contain only subnet IDs (subnet-xxxxxxxx)."
  }
}

variable "security_group_ids" {
  description = "Security group IDs for the workers (required when enable_vpc is true)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", s))])
    error_message = "Variable security_group_ids must contain only security group IDs (sg-xxxxxxxx)."
  }
}

variable "enable_s3_logging" {
  description = "Write Spark driver/executor logs and event logs to log_uri (encrypted with s3_logs_kms_key_arn)."
  type        = bool
  default     = true
}

variable "log_uri" {
  description = "S3 URI for job logs, e.g. s3://<artifacts bucket>/emr-logs/."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.log_uri))
    error_message = "Variable log_uri must be an S3 URI: s3://<bucket>[/prefix]."
  }
}

variable "s3_logs_kms_key_arn" {
  description = "KMS key ARN encrypting the job logs written to log_uri (the key of the bucket the logs land in)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.s3_logs_kms_key_arn))
    error_message = "Variable s3_logs_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "enable_cloudwatch_logging" {
  description = "Send driver/executor stdout and stderr to the CloudWatch log group cloudwatch_log_group_name."
  type        = bool
  default     = true
}

variable "cloudwatch_log_group_name" {
  description = "CloudWatch log group for the jobs (interfaces.md: /aws/emr-serverless/<prefix>). Created by the cloudwatch module."
  type        = string

  validation {
    condition     = can(regex("^/aws/emr-serverless/[A-Za-z0-9._/-]+$", var.cloudwatch_log_group_name))
    error_message = "Variable cloudwatch_log_group_name must start with /aws/emr-serverless/ (the prefix the job role may write to)."
  }
}

variable "cloudwatch_logs_kms_key_arn" {
  description = "KMS key ARN encrypting the job log streams in CloudWatch (the key of the log group)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.cloudwatch_logs_kms_key_arn))
    error_message = "Variable cloudwatch_logs_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "enable_glue_catalog" {
  description = "Use the AWS Glue Data Catalog as the Spark/Hive metastore."
  type        = bool
  default     = true
}

variable "spark_packages" {
  description = "Maven coordinates (group:artifact:version) resolved at job start for the source connectors the EMR image lacks: spark-snowflake (Snowflake extractor) and spark-sql-kafka (Kafka extractor and stream). Empty when the jobs cannot reach Maven; list uploaded jars in image_jars instead."
  type        = list(string)
  default = [
    "net.snowflake:spark-snowflake_2.12:3.0.0",
    "org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.3",
  ]

  validation {
    condition     = alltrue([for p in var.spark_packages : can(regex("^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$", p))])
    error_message = "Variable spark_packages entries must be Maven coordinates group:artifact:version (e.g. org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.3)."
  }
}

variable "image_jars" {
  description = "Jars added to spark.jars after Delta's: paths inside the EMR image (the Redshift JDBC driver the Redshift extractor loads ships there) or s3:// URIs of uploaded jars."
  type        = list(string)
  default     = ["/usr/share/aws/redshift/jdbc/RedshiftJDBC.jar"]

  validation {
    condition     = alltrue([for j in var.image_jars : can(regex("^(/|s3://).+\\.jar$", j))])
    error_message = "Variable image_jars entries must be absolute image paths or s3:// URIs ending in .jar."
  }
}

variable "delta_log_table_name" {
  description = "DynamoDB table (modules/state delta_log) through which Delta coordinates commits to s3:// tables (S3DynamoDBLogStore); null leaves Delta's single-driver S3 log store, safe only when one job at a time writes a table."
  type        = string
  default     = null
}

variable "spark_defaults" {
  description = "Extra spark-defaults properties merged over the module's Delta/Glue settings."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.spark_defaults) : can(regex("^spark\\.", k))])
    error_message = "Variable spark_defaults keys must be Spark properties starting with \"spark.\"."
  }
}

variable "tags" {
  description = "Extra tags for the application (the provider's default_tags apply too)."
  type        = map(string)
  default     = {}
}
