variable "lake_bucket_arn" {
  description = "ARN of the data-lake bucket registered with Lake Formation."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_arn))
    error_message = "lake_bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "registration_role_arn" {
  description = "IAM role Lake Formation assumes for the lake location (module iam output lakeformation_registration_role_arn): trusts lakeformation.amazonaws.com, reads/writes the lake bucket and may use the lake KMS key."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.registration_role_arn))
    error_message = "registration_role_arn must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)."
  }

  validation {
    condition     = !strcontains(var.registration_role_arn, ":role/aws-service-role/")
    error_message = "registration_role_arn must be a user-defined role, not a service-linked role: AWSServiceRoleForLakeFormationDataAccess cannot use the lake's customer-managed KMS key."
  }
}

variable "admin_arns" {
  description = "Lake Formation administrators (IAM roles/users). Must include the principal that runs Terraform, or its grants fail."
  type        = list(string)

  validation {
    condition     = length(var.admin_arns) > 0 && alltrue([for a in var.admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "admin_arns must list at least one IAM role or user ARN (arn:aws:iam::<12-digit account>:role/<name>)."
  }
}

variable "database_names" {
  description = "Glue database names by layer (module glue output database_names)."
  type        = map(string)
}

variable "tables" {
  description = "Contract tables by \"<layer>/<table>\" (module glue output tables)."
  type = map(object({
    database    = string
    name        = string
    layer       = string
    domain      = string
    sensitivity = string
    pii_columns = list(string)
  }))
}

variable "views" {
  description = "Athena views by name (module athena output views, plus their layer): principals reading a layer get SELECT/DESCRIBE on its views. A view holds no PII column (tests/unit/test_athena_views.py) and Athena still checks the querying principal's grants on the tables beneath."
  type = map(object({
    database = string
    name     = string
    layer    = string
  }))
  default = {}
}

variable "lf_tag_keys" {
  description = "LF-tag keys. LF-tags are catalog-wide: environments sharing an account need distinct keys."
  type = object({
    domain      = optional(string, "domain")
    sensitivity = optional(string, "sensitivity")
    layer       = optional(string, "layer")
  })
  default = {}
}

variable "sensitivity_values" {
  description = "Allowed values of the sensitivity LF-tag."
  type        = list(string)
  default     = ["public", "internal", "confidential", "pii"]
}

variable "grants" {
  description = "Grants per principal: layers, table and database permissions, whether PII columns are withheld, and data-location access (for writers)."
  type = map(object({
    principal_arn        = string
    layers               = list(string)
    table_permissions    = list(string)
    database_permissions = optional(list(string), ["DESCRIBE"])
    exclude_pii          = optional(bool, false)
    data_location_access = optional(bool, false)
  }))
  default = {}

  validation {
    condition     = alltrue([for g in var.grants : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", g.principal_arn))])
    error_message = "grants: principal_arn must be an IAM role or user ARN (arn:aws:iam::<12-digit account>:role/<name>)."
  }

  validation {
    condition     = alltrue([for g in var.grants : alltrue([for p in g.table_permissions : contains(["SELECT", "INSERT", "DELETE", "ALTER", "DESCRIBE", "DROP"], p)])])
    error_message = "grants: table_permissions must be among SELECT, INSERT, DELETE, ALTER, DESCRIBE, DROP."
  }

  validation {
    condition     = alltrue([for g in var.grants : alltrue([for p in g.database_permissions : contains(["CREATE_TABLE", "ALTER", "DESCRIBE", "DROP"], p)])])
    error_message = "grants: database_permissions must be among CREATE_TABLE, ALTER, DESCRIBE, DROP."
  }

  validation {
    condition     = alltrue([for g in var.grants : !g.exclude_pii || alltrue([for p in g.table_permissions : contains(["SELECT", "DESCRIBE"], p)])])
    error_message = "grants: a grant with exclude_pii = true is read-only: table_permissions may only be SELECT and DESCRIBE."
  }
}

variable "enable_column_level_grants" {
  description = "Grant PII tables to exclude_pii principals with table_with_columns (PII columns excluded). Off: those tables get no SELECT unless data-cells filters are on."
  type        = bool
  default     = true
}

variable "enable_data_cells_filters" {
  description = "Create a data-cells filter per PII table (all rows, PII columns excluded) and grant it to exclude_pii principals when column-level grants are off."
  type        = bool
  default     = false
}
