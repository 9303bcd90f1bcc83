# Plan-time contract of the lakeformation module, fed from the repository's glue/<layer>/*.yaml
# contracts exactly as terraform/main.tf derives them for module "glue" (whose output `tables`
# feeds this module): key "<layer>/<table>", domain/sensitivity with the glue module's defaults,
# pii_columns = the columns marked `pii: true` (bronze tables also carry glue/_metadata_columns.yaml).
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  lake_bucket_arn       = "arn:aws:s3:::lakehouse-test-lake"
  registration_role_arn = "arn:aws:iam::123456789012:role/lakehouse-test-lf-registration"
  admin_arns            = ["arn:aws:iam::123456789012:role/lakehouse-test-terraform"]
  database_names        = { for l in ["bronze", "silver", "gold", "quarantine", "audit"] : l => "lakehouse_test_${l}" }
  tables = {
    for k, c in { for f in fileset("../../../glue", "*/*.yaml") : trimsuffix(f, ".yaml") => yamldecode(file("../../../glue/${f}")) } : k => {
      database    = "lakehouse_test_${c.layer}"
      name        = c.table
      layer       = c.layer
      domain      = try(c.domain, "general")
      sensitivity = try(c.sensitivity, "internal")
      pii_columns = [for col in concat(c.columns, c.layer == "bronze" ? yamldecode(file("../../../glue/_metadata_columns.yaml")).columns : []) : col.name if try(col.pii, false)]
    }
  }
  # The root's grants (terraform/main.tf), plus a gold-only reader for the layer checks.
  grants = {
    emr_job = {
      principal_arn        = "arn:aws:iam::123456789012:role/lakehouse-test-emr-job"
      layers               = ["bronze", "silver", "gold", "quarantine", "audit"]
      table_permissions    = ["SELECT", "INSERT", "DELETE", "ALTER", "DESCRIBE"]
      database_permissions = ["CREATE_TABLE", "ALTER", "DESCRIBE"]
      data_location_access = true
    }
    analyst = {
      principal_arn     = "arn:aws:iam::123456789012:role/lakehouse-test-analyst"
      layers            = ["gold", "silver"]
      table_permissions = ["SELECT", "DESCRIBE"]
      exclude_pii       = true
    }
    gold_reader = {
      principal_arn     = "arn:aws:iam::123456789012:role/lakehouse-test-gold-reader"
      layers            = ["gold"]
      table_permissions = ["SELECT", "DESCRIBE"]
    }
  }
}

run "contracts_feed_pii_and_non_pii_tables" {
  command = plan

  assert {
    condition     = length(var.tables) == length(fileset("../../../glue", "*/*.yaml")) && toset(keys(aws_lakeformation_resource_lf_tags.table)) == toset(keys(var.tables))
    error_message = "one table (and one LF-tag assignment) per glue/<layer>/<table>.yaml contract"
  }
  assert {
    condition     = toset(var.tables["gold/dim_customer"].pii_columns) == toset(["first_name", "last_name", "email", "phone"]) && length(var.tables["gold/fact_orders"].pii_columns) == 0
    error_message = "fixture sanity: dim_customer's pii: true columns are first_name, last_name, email, phone; fact_orders has none"
  }
  assert {
    condition = (
      length([for tk, t in var.tables : tk if contains(["gold", "silver"], t.layer) && length(t.pii_columns) > 0]) > 0 &&
      length([for tk, t in var.tables : tk if contains(["gold", "silver"], t.layer) && length(t.pii_columns) == 0]) > 0
    )
    error_message = "the analyst's layers must hold both PII and non-PII tables, or the grant checks below prove nothing"
  }
}

run "analyst_gets_pii_tables_through_column_grants" {
  command = plan

  # defaults: enable_column_level_grants = true, enable_data_cells_filters = false

  assert {
    condition = alltrue(flatten([for tk, t in var.tables : [
      for p in values(aws_lakeformation_permissions.table) : !contains(p.permissions, "SELECT")
      if p.principal == var.grants.analyst.principal_arn && p.table[0].database_name == t.database && p.table[0].name == t.name
    ] if length(t.pii_columns) > 0]))
    error_message = "no whole-table grant of the analyst (exclude_pii) may carry SELECT on a table with PII columns"
  }
  assert {
    condition     = alltrue([for tk, t in var.tables : toset(aws_lakeformation_permissions.table["analyst/${tk}"].permissions) == toset(["DESCRIBE"]) if contains(["gold", "silver"], t.layer) && length(t.pii_columns) > 0])
    error_message = "on PII tables the analyst's whole-table grant keeps only DESCRIBE"
  }
  assert {
    condition     = toset(keys(aws_lakeformation_permissions.columns)) == toset([for tk, t in var.tables : "analyst/${tk}" if contains(["gold", "silver"], t.layer) && length(t.pii_columns) > 0])
    error_message = "exactly one column grant per PII table in the analyst's layers (and none for other principals or tables)"
  }
  assert {
    condition = alltrue([for tk, t in var.tables : (
      aws_lakeformation_permissions.columns["analyst/${tk}"].principal == var.grants.analyst.principal_arn &&
      toset(aws_lakeformation_permissions.columns["analyst/${tk}"].permissions) == toset(["SELECT"]) &&
      aws_lakeformation_permissions.columns["analyst/${tk}"].table_with_columns[0].database_name == t.database &&
      aws_lakeformation_permissions.columns["analyst/${tk}"].table_with_columns[0].name == t.name &&
      aws_lakeformation_permissions.columns["analyst/${tk}"].table_with_columns[0].wildcard == true &&
      toset(aws_lakeformation_permissions.columns["analyst/${tk}"].table_with_columns[0].excluded_column_names) == toset(t.pii_columns)
    ) if contains(["gold", "silver"], t.layer) && length(t.pii_columns) > 0])
    error_message = "column grant: SELECT on all columns (wildcard) except exactly the table's pii: true columns"
  }
  assert {
    condition     = toset(aws_lakeformation_permissions.columns["analyst/gold/dim_customer"].table_with_columns[0].excluded_column_names) == toset(["first_name", "last_name", "email", "phone"])
    error_message = "gold.dim_customer: the analyst must not see first_name, last_name, email, phone"
  }
  assert {
    condition     = alltrue([for tk, t in var.tables : toset(aws_lakeformation_permissions.table["analyst/${tk}"].permissions) == toset(["SELECT", "DESCRIBE"]) if contains(["gold", "silver"], t.layer) && length(t.pii_columns) == 0])
    error_message = "non-PII tables in the analyst's layers get a whole-table SELECT + DESCRIBE"
  }
  assert {
    condition     = length(aws_lakeformation_data_cells_filter.no_pii) == 0 && length(aws_lakeformation_permissions.filter) == 0
    error_message = "no data-cells filters (or filter grants) unless enable_data_cells_filters"
  }
}

run "data_cells_filters_replace_column_grants" {
  command = plan

  variables {
    enable_column_level_grants = false
    enable_data_cells_filters  = true
  }

  assert {
    condition     = toset(keys(aws_lakeformation_data_cells_filter.no_pii)) == toset([for tk, t in var.tables : tk if length(t.pii_columns) > 0])
    error_message = "one data-cells filter per table with PII columns"
  }
  assert {
    condition = alltrue([for tk, f in aws_lakeformation_data_cells_filter.no_pii : (
      f.table_data[0].database_name == var.tables[tk].database &&
      f.table_data[0].table_name == var.tables[tk].name &&
      f.table_data[0].name == "${var.tables[tk].name}_no_pii" &&
      f.table_data[0].table_catalog_id == "123456789012" &&
      f.table_data[0].column_wildcard[0].excluded_column_names == var.tables[tk].pii_columns &&
      length(f.table_data[0].row_filter[0].all_rows_wildcard) == 1
    )])
    error_message = "filter <table>_no_pii: all rows, every column except exactly the table's PII columns, in this account's catalog"
  }
  assert {
    condition     = toset(keys(aws_lakeformation_permissions.filter)) == toset([for tk, t in var.tables : "analyst/${tk}" if contains(["gold", "silver"], t.layer) && length(t.pii_columns) > 0])
    error_message = "the analyst's SELECT on each PII table in its layers goes through a filter grant"
  }
  assert {
    condition = alltrue([for tk, t in var.tables : (
      aws_lakeformation_permissions.filter["analyst/${tk}"].principal == var.grants.analyst.principal_arn &&
      toset(aws_lakeformation_permissions.filter["analyst/${tk}"].permissions) == toset(["SELECT"]) &&
      aws_lakeformation_permissions.filter["analyst/${tk}"].data_cells_filter[0].database_name == t.database &&
      aws_lakeformation_permissions.filter["analyst/${tk}"].data_cells_filter[0].table_name == t.name &&
      aws_lakeformation_permissions.filter["analyst/${tk}"].data_cells_filter[0].name == "${t.name}_no_pii" &&
      aws_lakeformation_permissions.filter["analyst/${tk}"].data_cells_filter[0].table_catalog_id == "123456789012"
    ) if contains(["gold", "silver"], t.layer) && length(t.pii_columns) > 0])
    error_message = "filter grant: SELECT on that table's <table>_no_pii filter for the analyst"
  }
  assert {
    condition     = length(aws_lakeformation_permissions.columns) == 0
    error_message = "no column grants when enable_column_level_grants = false"
  }
  assert {
    condition     = alltrue([for tk, t in var.tables : toset(aws_lakeformation_permissions.table["analyst/${tk}"].permissions) == toset(["DESCRIBE"]) if contains(["gold", "silver"], t.layer) && length(t.pii_columns) > 0])
    error_message = "the analyst's whole-table grant on PII tables stays DESCRIBE only"
  }
  assert {
    condition     = alltrue([for tk, t in var.tables : contains(aws_lakeformation_permissions.table["analyst/${tk}"].permissions, "SELECT") if contains(["gold", "silver"], t.layer) && length(t.pii_columns) == 0])
    error_message = "non-PII tables keep a whole-table SELECT"
  }
}

run "pii_withheld_when_both_mechanisms_are_off" {
  command = plan

  variables {
    enable_column_level_grants = false
    enable_data_cells_filters  = false
  }

  assert {
    condition     = length(aws_lakeformation_permissions.columns) + length(aws_lakeformation_permissions.filter) + length(aws_lakeformation_data_cells_filter.no_pii) == 0
    error_message = "withheld mode: no column grants, filter grants or filters"
  }
  assert {
    condition     = alltrue([for tk, t in var.tables : toset(aws_lakeformation_permissions.table["analyst/${tk}"].permissions) == toset(["DESCRIBE"]) if contains(["gold", "silver"], t.layer) && length(t.pii_columns) > 0])
    error_message = "withheld mode: the analyst gets only DESCRIBE on PII tables, no SELECT in any form"
  }
  assert {
    condition     = alltrue([for tk, t in var.tables : toset(aws_lakeformation_permissions.table["analyst/${tk}"].permissions) == toset(["SELECT", "DESCRIBE"]) if contains(["gold", "silver"], t.layer) && length(t.pii_columns) == 0])
    error_message = "withheld mode: non-PII tables still get whole-table SELECT"
  }
}

run "writer_gets_whole_tables_and_data_location" {
  command = plan

  assert {
    condition     = alltrue([for tk, t in var.tables : toset(aws_lakeformation_permissions.table["emr_job/${tk}"].permissions) == toset(["SELECT", "INSERT", "DELETE", "ALTER", "DESCRIBE"]) && aws_lakeformation_permissions.table["emr_job/${tk}"].principal == var.grants.emr_job.principal_arn])
    error_message = "the writer (exclude_pii = false) gets whole-table SELECT/INSERT/DELETE/ALTER/DESCRIBE on every table, PII or not"
  }
  assert {
    condition     = length([for k in concat(keys(aws_lakeformation_permissions.columns), keys(aws_lakeformation_permissions.filter)) : k if startswith(k, "emr_job/")]) == 0
    error_message = "the writer is never narrowed to columns or filters"
  }
  assert {
    condition = (
      toset(keys(aws_lakeformation_permissions.data_location)) == toset(["emr_job"]) &&
      toset(aws_lakeformation_permissions.data_location["emr_job"].permissions) == toset(["DATA_LOCATION_ACCESS"]) &&
      aws_lakeformation_permissions.data_location["emr_job"].principal == var.grants.emr_job.principal_arn &&
      aws_lakeformation_permissions.data_location["emr_job"].data_location[0].arn == var.lake_bucket_arn
    )
    error_message = "DATA_LOCATION_ACCESS on the registered lake bucket for data_location_access grants only"
  }
  assert {
    condition     = alltrue([for l, db in var.database_names : toset(aws_lakeformation_permissions.database["emr_job/${l}"].permissions) == toset(["CREATE_TABLE", "ALTER", "DESCRIBE"]) && aws_lakeformation_permissions.database["emr_job/${l}"].database[0].name == db])
    error_message = "the writer gets its database permissions on every layer's database"
  }
  assert {
    condition     = aws_lakeformation_resource.lake.arn == var.lake_bucket_arn && toset(aws_lakeformation_data_lake_settings.this.admins) == toset(var.admin_arns)
    error_message = "the lake bucket is registered and the admins set"
  }
  assert {
    condition     = aws_lakeformation_resource.lake.role_arn == "arn:aws:iam::123456789012:role/lakehouse-test-lf-registration" && aws_lakeformation_resource.lake.use_service_linked_role == false
    error_message = "the lake is registered with the user-defined registration role, not the service-linked role (which cannot use the lake's customer-managed KMS key)"
  }
}

run "grants_respect_layers" {
  command = plan

  assert {
    condition = (
      length([for p in values(aws_lakeformation_permissions.table) : p if p.principal == var.grants.gold_reader.principal_arn && p.table[0].database_name != var.database_names.gold]) == 0 &&
      length([for k in keys(aws_lakeformation_permissions.table) : k if startswith(k, "gold_reader/") && !startswith(k, "gold_reader/gold/")]) == 0
    )
    error_message = "a grant with layers [\"gold\"] gets no table grant outside the gold database"
  }
  assert {
    condition     = toset([for k in keys(aws_lakeformation_permissions.table) : k if startswith(k, "gold_reader/")]) == toset([for tk, t in var.tables : "gold_reader/${tk}" if t.layer == "gold"])
    error_message = "the gold-only grant covers every gold table"
  }
  assert {
    condition     = toset([for k in keys(aws_lakeformation_permissions.database) : k if startswith(k, "gold_reader/")]) == toset(["gold_reader/gold"])
    error_message = "a gold-only grant gets DESCRIBE on the gold database only"
  }
  assert {
    condition     = length([for k in concat(keys(aws_lakeformation_permissions.table), keys(aws_lakeformation_permissions.columns)) : k if startswith(k, "analyst/") && !startswith(k, "analyst/gold/") && !startswith(k, "analyst/silver/")]) == 0
    error_message = "the analyst (gold, silver) gets nothing on bronze, quarantine or audit tables"
  }
}

run "tables_are_tagged_with_domain_and_sensitivity" {
  command = plan

  assert {
    condition = alltrue([for tk, t in var.tables : (
      # Compared as a set of "key=value" strings: length() of the lf_tag block set is unknown at plan
      # (each element carries the computed catalog_id), iterating its known key/value is not.
      toset([for tg in aws_lakeformation_resource_lf_tags.table[tk].lf_tag : "${tg.key}=${tg.value}"]) == toset(["domain=${t.domain}", "sensitivity=${t.sensitivity}"]) &&
      aws_lakeformation_resource_lf_tags.table[tk].table[0].database_name == t.database &&
      aws_lakeformation_resource_lf_tags.table[tk].table[0].name == t.name
    )])
    error_message = "every contract table carries exactly its domain and sensitivity LF-tags"
  }
  assert {
    condition = (
      aws_lakeformation_lf_tag.domain.values == toset([for t in var.tables : t.domain]) &&
      aws_lakeformation_lf_tag.sensitivity.values == toset(["public", "internal", "confidential", "pii"]) &&
      alltrue([for t in var.tables : contains(var.sensitivity_values, t.sensitivity)])
    )
    error_message = "LF-tag values: the contracts' domains; every contract sensitivity is an allowed value"
  }
  assert {
    condition     = alltrue([for l, db in var.database_names : one(aws_lakeformation_resource_lf_tags.database[l].lf_tag).key == "layer" && one(aws_lakeformation_resource_lf_tags.database[l].lf_tag).value == l && aws_lakeformation_resource_lf_tags.database[l].database[0].name == db])
    error_message = "every layer database is tagged layer=<layer>"
  }
}

run "custom_lf_tag_keys_are_used" {
  command = plan

  variables {
    lf_tag_keys = { domain = "lakehouse_test_domain", sensitivity = "lakehouse_test_sensitivity", layer = "lakehouse_test_layer" }
  }

  assert {
    condition     = alltrue([for tk, t in var.tables : toset([for tg in aws_lakeformation_resource_lf_tags.table[tk].lf_tag : "${tg.key}=${tg.value}"]) == toset(["lakehouse_test_domain=${t.domain}", "lakehouse_test_sensitivity=${t.sensitivity}"])])
    error_message = "tables are tagged under the configured (environment-specific) LF-tag keys"
  }
}

run "refuses_write_permissions_with_exclude_pii" {
  command = plan
  variables {
    grants = {
      analyst = {
        principal_arn     = "arn:aws:iam::123456789012:role/lakehouse-test-analyst"
        layers            = ["gold"]
        table_permissions = ["SELECT", "INSERT"]
        exclude_pii       = true
      }
    }
  }
  expect_failures = [var.grants]
}

run "refuses_a_registration_role_that_is_not_a_role_arn" {
  command = plan
  variables {
    registration_role_arn = "lakehouse-test-lf-registration"
  }
  expect_failures = [var.registration_role_arn]
}

run "refuses_the_service_linked_role_for_registration" {
  command = plan
  variables {
    registration_role_arn = "arn:aws:iam::123456789012:role/aws-service-role/lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess"
  }
  expect_failures = [var.registration_role_arn]
}

run "refuses_bad_principal_arn" {
  command = plan
  variables {
    grants = {
      analyst = {
        principal_arn     = "arn:aws:iam::123:group/analysts"
        layers            = ["gold"]
        table_permissions = ["SELECT"]
      }
    }
  }
  expect_failures = [var.grants]
}

run "readers_of_a_layer_get_read_only_grants_on_its_views" {
  command = plan

  variables {
    views = {
      current_customers = { database = "lakehouse_test_gold", name = "current_customers", layer = "gold" }
      silver_orders     = { database = "lakehouse_test_silver", name = "silver_orders", layer = "silver" }
    }
  }

  assert {
    condition = (
      aws_lakeformation_permissions.view["analyst/current_customers"].permissions == toset(["DESCRIBE", "SELECT"]) &&
      aws_lakeformation_permissions.view["analyst/silver_orders"].permissions == toset(["DESCRIBE", "SELECT"]) &&
      one(aws_lakeformation_permissions.view["analyst/current_customers"].table).name == "current_customers"
    )
    error_message = "the analyst reads the views of its layers (SELECT, DESCRIBE)"
  }
  assert {
    condition     = aws_lakeformation_permissions.view["emr_job/current_customers"].permissions == toset(["DESCRIBE", "SELECT"])
    error_message = "a writer's INSERT/DELETE/ALTER never reach a view: only SELECT and DESCRIBE apply"
  }
  assert {
    condition     = contains(keys(aws_lakeformation_permissions.view), "gold_reader/current_customers") && !contains(keys(aws_lakeformation_permissions.view), "gold_reader/silver_orders")
    error_message = "views follow the grant's layers"
  }
}
