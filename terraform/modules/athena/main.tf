# The analytics workgroup: enforced settings (clients cannot turn off encryption or the scan cutoff),
# SSE-KMS results in the results bucket, CloudWatch metrics; named queries and views from athena_sql/.
data "aws_caller_identity" "current" {}

resource "aws_athena_workgroup" "this" {
  name          = "${var.name_prefix}-analytics"
  description   = "Analyst queries over the ${var.name_prefix} lakehouse"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    result_configuration {
      output_location       = "s3://${var.results_bucket_id}/${var.name_prefix}-analytics/"
      expected_bucket_owner = data.aws_caller_identity.current.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each = var.named_queries

  name        = each.key
  workgroup   = aws_athena_workgroup.this.id
  database    = each.value.database
  query       = each.value.query
  description = each.value.description
}

# Views as Glue VIRTUAL_VIEW tables, the form Athena itself writes for CREATE VIEW: the definition is
# base64 JSON inside a "Presto View" comment, with the column types in Trino spelling. Declaring them in
# Terraform (not by running DDL at apply) keeps views in the plan, in state and destroyed with the rest.
locals {
  trino_types = { string = "varchar", int = "integer", float = "real" }

  view_definitions = {
    for n, v in var.views : n => jsonencode({
      originalSql = trimspace(v.sql)
      catalog     = "awsdatacatalog"
      schema      = v.database
      columns     = [for c in v.columns : { name = c.name, type = lookup(local.trino_types, c.type, c.type) }]
    })
  }
}

resource "aws_glue_catalog_table" "view" {
  for_each = var.views

  name          = each.key
  database_name = each.value.database
  description   = each.value.description
  table_type    = "VIRTUAL_VIEW"

  view_original_text = "/* Presto View: ${base64encode(local.view_definitions[each.key])} */"
  view_expanded_text = "/* Presto View */"

  parameters = {
    presto_view = "true"
    comment     = "Presto View"
  }

  storage_descriptor {
    ser_de_info {
      name                  = "-"
      serialization_library = "-"
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
