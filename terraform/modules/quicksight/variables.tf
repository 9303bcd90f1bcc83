variable "enabled" {
  description = "Create the QuickSight data source, data sets and dashboard. Needs a QuickSight account subscription (Enterprise for column-level features)."
  type        = bool
  default     = false
}

variable "name_prefix" {
  description = "Name prefix <project>-<environment>; IDs are <prefix>-<id>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name_prefix))
    error_message = "Variable name_prefix must be 3-40 lowercase letters, digits or hyphens, starting with a letter (e.g. lakehouse-prod)."
  }
}

variable "athena_workgroup_name" {
  description = "Athena workgroup QuickSight queries through (enforced configuration, encrypted results)."
  type        = string
}

variable "gold_database_name" {
  description = "Glue database of the gold layer (module.glue.database_names.gold)."
  type        = string
}

variable "dataset_definitions" {
  description = "Data set definitions (quicksight/datasets/*.yaml, decoded): id, gold table, import mode and the columns to expose."
  type = list(object({
    id          = string
    table       = string
    description = optional(string, "")
    import_mode = optional(string, "DIRECT_QUERY")
    columns     = list(string)
  }))
  default = []

  validation {
    condition     = alltrue([for d in var.dataset_definitions : can(regex("^[a-z][a-z0-9_-]{0,63}$", d.id)) && contains(["DIRECT_QUERY", "SPICE"], d.import_mode) && length(d.columns) > 0])
    error_message = "Variable dataset_definitions: id must be lowercase (a-z, 0-9, _ -), import_mode one of DIRECT_QUERY, SPICE, and columns non-empty."
  }
  validation {
    condition     = length(distinct([for d in var.dataset_definitions : d.id])) == length(var.dataset_definitions)
    error_message = "Variable dataset_definitions: ids must be unique."
  }
}

variable "gold_contracts" {
  description = "Schema contracts of the gold tables by table name (glue/gold/*.yaml, decoded): the source of column types and PII flags."
  type = map(object({
    columns = list(object({
      name = string
      type = string
      pii  = optional(bool, false)
    }))
  }))
  default = {}
}

variable "dashboard" {
  description = "Dashboard definition (quicksight/dashboard.yaml): sheets of kpi, bar and table visuals over the data sets; null for none."
  type = object({
    id   = string
    name = string
    sheets = list(object({
      id    = string
      title = string
      visuals = list(object({
        id      = string
        type    = string
        title   = string
        dataset = string
        dimensions = optional(list(object({
          column      = string
          kind        = optional(string, "categorical")
          granularity = optional(string, "MONTH")
        })), [])
        measures = list(object({
          column      = string
          aggregation = optional(string, "SUM")
        }))
      }))
    }))
  })
  default = null

  validation {
    condition = var.dashboard == null || alltrue(flatten([for s in try(var.dashboard.sheets, []) : [for v in s.visuals : [
      contains(["kpi", "bar", "table"], v.type),
      length(v.measures) > 0,
      v.type == "kpi" || length(v.dimensions) > 0,
      alltrue([for d in v.dimensions : contains(["categorical", "date"], d.kind) && contains(["YEAR", "QUARTER", "MONTH", "WEEK", "DAY"], d.granularity)]),
      alltrue([for m in v.measures : contains(["SUM", "AVERAGE", "MIN", "MAX", "COUNT", "DISTINCT_COUNT"], m.aggregation)]),
    ]]]))
    error_message = "Variable dashboard: visual type must be kpi, bar or table; every visual needs measures (aggregation SUM, AVERAGE, MIN, MAX, COUNT, DISTINCT_COUNT); bar/table need dimensions (kind categorical or date, granularity YEAR, QUARTER, MONTH, WEEK, DAY)."
  }
}

variable "principal_arns" {
  description = "QuickSight users or groups (arn:aws:quicksight:<region>:<account>:user|group/...) allowed to use the data source and view data sets and the dashboard."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.principal_arns : can(regex("^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:[0-9]{12}:(user|group)/.+$", p))])
    error_message = "Variable principal_arns must contain QuickSight user or group ARNs (arn:aws:quicksight:<region>:<account>:user/<namespace>/<name>)."
  }
}

variable "tags" {
  description = "Extra tags (the provider's default_tags apply too)."
  type        = map(string)
  default     = {}
}
