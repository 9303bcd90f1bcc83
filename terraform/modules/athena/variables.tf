variable "name_prefix" {
  description = "Resource name prefix, <project>-<environment>. The workgroup is <name_prefix>-analytics."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "results_bucket_id" {
  description = "Name of the bucket receiving query results (under <workgroup>/)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.results_bucket_id))
    error_message = "results_bucket_id must be an S3 bucket name."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key encrypting query results (SSE_KMS)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Queries scanning more bytes than this are cancelled (Athena minimum 10 MiB)."
  type        = number
  default     = 10737418240 # 10 GiB

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760
    error_message = "bytes_scanned_cutoff_per_query must be at least 10485760 (10 MiB, the Athena minimum)."
  }
}

variable "force_destroy" {
  description = "Delete the workgroup even if it holds named queries/history (throwaway environments)."
  type        = bool
  default     = false
}

variable "named_queries" {
  description = "Named queries by name: the Glue database they run in, the SQL, and a description."
  type = map(object({
    database    = string
    query       = string
    description = optional(string, "")
  }))
  default = {}

  validation {
    condition     = alltrue([for n, q in var.named_queries : can(regex("^[A-Za-z0-9_-]{1,128}$", n)) && length(trimspace(q.query)) > 0 && length(q.query) <= 262144])
    error_message = "named_queries: names must be 1-128 letters, digits, _ or -, and each query must be non-empty and at most 262144 characters."
  }
}

variable "views" {
  description = "Views by name: the Glue database, the SELECT that defines the view (no CREATE VIEW), a description, and the view's columns with their Hive types (Athena stores a view's column types twice: Hive types in Glue, Trino types in the encoded definition)."
  type = map(object({
    database    = string
    sql         = string
    description = optional(string, "")
    columns = list(object({
      name = string
      type = string
    }))
  }))
  default = {}

  validation {
    condition     = alltrue([for n, v in var.views : can(regex("^[a-z_][a-z0-9_]{0,254}$", n)) && can(regex("(?i)^\\s*(SELECT|WITH)\\b", v.sql)) && length(v.columns) > 0])
    error_message = "views: names must be lower-case letters, digits and _; sql must be a SELECT (or WITH ... SELECT) without CREATE VIEW; every view declares at least one column."
  }

  validation {
    condition = alltrue(flatten([for v in var.views : [for c in v.columns :
      can(regex("^[a-z_][a-z0-9_]*$", c.name)) &&
      can(regex("^(string|bigint|int|smallint|tinyint|double|float|boolean|date|timestamp|binary|decimal\\([0-9]{1,2},[0-9]{1,2}\\))$", c.type))
    ]]))
    error_message = "views: column names must be lower-case identifiers and types one of string, bigint, int, smallint, tinyint, double, float, boolean, date, timestamp, binary, decimal(p,s)."
  }
}
