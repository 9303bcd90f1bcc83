variable "name_prefix" {
  description = "Resource name prefix, <project>-<environment>; databases are <name_prefix with _>_<layer>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "lake_bucket_id" {
  description = "Name of the data-lake bucket; a table lives at s3://<bucket>/<layer>/<table>."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_id))
    error_message = "lake_bucket_id must be an S3 bucket name."
  }
}

variable "layers" {
  description = "Lake layers that get a Glue database."
  type        = list(string)
  default     = ["bronze", "silver", "gold", "quarantine", "audit"]

  validation {
    condition     = length(var.layers) > 0 && alltrue([for l in var.layers : contains(["bronze", "silver", "gold", "quarantine", "audit"], l)])
    error_message = "layers must be a subset of bronze, silver, gold, quarantine, audit."
  }
}

variable "contracts" {
  description = "Schema contracts keyed by \"<layer>/<table>\" (decoded glue/<layer>/<table>.yaml; shape in docs/interfaces.md). One Delta table each."
  type = map(object({
    table         = string
    layer         = string
    source_system = optional(string, "derived")
    description   = optional(string, "")
    partition_by  = optional(list(string), [])
    domain        = optional(string, "general")
    sensitivity   = optional(string, "internal")
    columns = list(object({
      name        = string
      type        = string
      nullable    = optional(bool, true)
      pii         = optional(bool, false)
      description = optional(string, "")
    }))
  }))

  validation {
    condition     = alltrue([for k, c in var.contracts : k == "${c.layer}/${c.table}" && can(regex("^[a-z][a-z0-9_]{0,127}$", c.table))])
    error_message = "contracts: each file must be glue/<layer>/<table>.yaml with matching `layer:` and `table:` (lowercase, digits, _). Mismatched: ${join(", ", [for k, c in var.contracts : k if k != "${c.layer}/${c.table}" || !can(regex("^[a-z][a-z0-9_]{0,127}$", c.table))])}."
  }

  validation {
    condition     = alltrue([for c in var.contracts : contains(["bronze", "silver", "gold", "quarantine", "audit"], c.layer)])
    error_message = "contracts: layer must be one of bronze, silver, gold, quarantine, audit. Wrong in: ${join(", ", [for k, c in var.contracts : k if !contains(["bronze", "silver", "gold", "quarantine", "audit"], c.layer)])}."
  }

  validation {
    condition     = alltrue([for c in var.contracts : contains(["public", "internal", "confidential", "pii"], c.sensitivity)])
    error_message = "contracts: sensitivity must be one of public, internal, confidential, pii. Wrong in: ${join(", ", [for k, c in var.contracts : k if !contains(["public", "internal", "confidential", "pii"], c.sensitivity)])}."
  }

  validation {
    condition = alltrue(flatten([for c in var.contracts : [for col in c.columns :
    can(regex("^(string|int|bigint|smallint|tinyint|double|float|boolean|date|timestamp|binary|decimal\\([0-9]+, ?[0-9]+\\)|(array|map|struct)<.+>)$", col.type))]]))
    error_message = "contracts: column types must be Hive/Spark DDL names (string, int, bigint, double, boolean, date, timestamp, decimal(p,s), ...); quote decimal(p,s) in YAML flow maps. Wrong: ${join(", ", flatten([for k, c in var.contracts : [for col in c.columns : "${k}.${col.name}=${col.type}" if !can(regex("^(string|int|bigint|smallint|tinyint|double|float|boolean|date|timestamp|binary|decimal\\([0-9]+, ?[0-9]+\\)|(array|map|struct)<.+>)$", col.type))]]))}."
  }

  validation {
    condition     = alltrue([for c in var.contracts : length(c.columns) == length(distinct([for col in c.columns : col.name])) && length(c.columns) > 0])
    error_message = "contracts: every table needs at least one column and unique column names. Wrong in: ${join(", ", [for k, c in var.contracts : k if length(c.columns) != length(distinct([for col in c.columns : col.name])) || length(c.columns) == 0])}."
  }
}

variable "metadata_columns" {
  description = "Columns appended to every bronze table (decoded glue/_metadata_columns.yaml `columns`)."
  type = list(object({
    name        = string
    type        = string
    nullable    = optional(bool, false)
    pii         = optional(bool, false)
    description = optional(string, "")
  }))
  default = []
}

variable "lake_kms_key_arn" {
  description = "ARN of the lake KMS key (catalog encryption, crawler S3 and bookmark encryption)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.lake_kms_key_arn))
    error_message = "lake_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "logs_kms_key_arn" {
  description = "ARN of the logs KMS key (crawler CloudWatch logs)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "enable_catalog_encryption" {
  description = "Manage the account/region-wide Glue Data Catalog encryption settings (one owner per account: turn off in all but one environment sharing an account)."
  type        = bool
  default     = true
}

variable "enable_crawlers" {
  description = "Create Delta crawlers per layer (they only log schema changes; Terraform owns the table definitions)."
  type        = bool
  default     = false
}

variable "crawler_role_arn" {
  description = "IAM role ARN the crawlers run as (required when enable_crawlers)."
  type        = string
  default     = null

  validation {
    condition     = var.crawler_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.crawler_role_arn))
    error_message = "crawler_role_arn must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>) or null."
  }
}

variable "crawler_schedule" {
  description = "AWS cron expression for the crawlers, e.g. cron(0 3 * * ? *)."
  type        = string
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\)$", var.crawler_schedule))
    error_message = "crawler_schedule must be an AWS cron expression with six fields, e.g. cron(0 3 * * ? *)."
  }
}
