# Lake Formation governance: the lake location, administrators, LF-tags from the contracts,
# and grants per principal in which PII columns never reach principals marked exclude_pii.
data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  domains    = sort(distinct([for t in var.tables : t.domain]))

  # How an exclude_pii principal gets a table with PII columns.
  pii_mode = var.enable_column_level_grants ? "columns" : (var.enable_data_cells_filters ? "filter" : "withheld")

  table_grants = merge([
    for g, grant in var.grants : {
      for tk, t in var.tables : "${g}/${tk}" => {
        principal   = grant.principal_arn
        table       = t
        permissions = grant.table_permissions
        mode        = grant.exclude_pii && length(t.pii_columns) > 0 ? local.pii_mode : "table"
      } if contains(grant.layers, t.layer)
    }
  ]...)

  database_grants = merge([
    for g, grant in var.grants : {
      for l in grant.layers : "${g}/${l}" => {
        principal   = grant.principal_arn
        database    = var.database_names[l]
        permissions = grant.database_permissions
      } if contains(keys(var.database_names), l)
    }
  ]...)

  pii_tables = { for tk, t in var.tables : tk => t if length(t.pii_columns) > 0 }

  # Views are read-only: of a grant's table permissions only SELECT and DESCRIBE apply to them.
  view_permissions = { for g, grant in var.grants : g => setintersection(toset(grant.table_permissions), toset(["SELECT", "DESCRIBE"])) }
  view_grants = merge([
    for g, grant in var.grants : {
      for vk, v in var.views : "${g}/${vk}" => {
        principal   = grant.principal_arn
        view        = v
        permissions = local.view_permissions[g]
      } if contains(grant.layers, v.layer) && length(local.view_permissions[g]) > 0
    }
  ]...)
}

resource "aws_lakeformation_data_lake_settings" "this" {
  admins = var.admin_arns
}

# Registered with a user-defined role, not the service-linked one: the lake bucket is SSE-KMS with a
# customer-managed key, which AWSServiceRoleForLakeFormationDataAccess cannot use, so credentials it
# vended (Athena, QuickSight) could not decrypt the data.
resource "aws_lakeformation_resource" "lake" {
  arn                     = var.lake_bucket_arn
  role_arn                = var.registration_role_arn
  use_service_linked_role = false

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

# ---- LF-tags ------------------------------------------------------------------------------------
resource "aws_lakeformation_lf_tag" "domain" {
  key    = var.lf_tag_keys.domain
  values = local.domains

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_lf_tag" "sensitivity" {
  key    = var.lf_tag_keys.sensitivity
  values = var.sensitivity_values

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_lf_tag" "layer" {
  key    = var.lf_tag_keys.layer
  values = sort(keys(var.database_names))

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_resource_lf_tags" "database" {
  for_each = var.database_names

  database {
    name = each.value
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.layer.key
    value = each.key
  }
}

resource "aws_lakeformation_resource_lf_tags" "table" {
  for_each = var.tables

  table {
    database_name = each.value.database
    name          = each.value.name
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.domain.key
    value = each.value.domain
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.sensitivity.key
    value = each.value.sensitivity
  }
}

# ---- grants -------------------------------------------------------------------------------------
resource "aws_lakeformation_permissions" "database" {
  for_each = local.database_grants

  principal   = each.value.principal
  permissions = each.value.permissions

  database {
    name = each.value.database
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_permissions" "data_location" {
  for_each = { for g, grant in var.grants : g => grant if grant.data_location_access }

  principal   = each.value.principal_arn
  permissions = ["DATA_LOCATION_ACCESS"]

  data_location {
    arn = aws_lakeformation_resource.lake.arn
  }
}

# Whole-table grants; for PII tables of exclude_pii principals only the non-SELECT part (DESCRIBE).
resource "aws_lakeformation_permissions" "table" {
  for_each = {
    for k, g in local.table_grants : k => merge(g, {
      permissions = g.mode == "table" ? g.permissions : [for p in g.permissions : p if p != "SELECT"]
    }) if g.mode == "table" || length([for p in g.permissions : p if p != "SELECT"]) > 0
  }

  principal   = each.value.principal
  permissions = each.value.permissions

  table {
    database_name = each.value.table.database
    name          = each.value.table.name
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

# SELECT on every column except the PII ones.
resource "aws_lakeformation_permissions" "columns" {
  for_each = { for k, g in local.table_grants : k => g if g.mode == "columns" && contains(g.permissions, "SELECT") }

  principal   = each.value.principal
  permissions = ["SELECT"]

  table_with_columns {
    database_name         = each.value.table.database
    name                  = each.value.table.name
    wildcard              = true
    excluded_column_names = each.value.table.pii_columns
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_permissions" "view" {
  for_each = local.view_grants

  principal   = each.value.principal
  permissions = sort(tolist(each.value.permissions))

  table {
    database_name = each.value.view.database
    name          = each.value.view.name
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_data_cells_filter" "no_pii" {
  for_each = var.enable_data_cells_filters ? local.pii_tables : {}

  table_data {
    database_name    = each.value.database
    table_name       = each.value.name
    table_catalog_id = local.account_id
    name             = "${each.value.name}_no_pii"

    column_wildcard {
      excluded_column_names = each.value.pii_columns
    }

    row_filter {
      all_rows_wildcard {}
    }
  }

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

resource "aws_lakeformation_permissions" "filter" {
  for_each = { for k, g in local.table_grants : k => g if g.mode == "filter" && contains(g.permissions, "SELECT") }

  principal   = each.value.principal
  permissions = ["SELECT"]

  data_cells_filter {
    database_name    = each.value.table.database
    table_name       = each.value.table.name
    table_catalog_id = local.account_id
    name             = aws_lakeformation_data_cells_filter.no_pii["${each.value.table.layer}/${each.value.table.name}"].table_data[0].name
  }
}
