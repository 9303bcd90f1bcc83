# Glue catalog for the lake: one database per layer, one Delta table per schema contract
# (glue/<layer>/<table>.yaml, the same files the jobs validate against), optional crawlers,
# catalog encryption and a security configuration.
locals {
  db_prefix = replace(var.name_prefix, "-", "_")

  tables = {
    for k, c in var.contracts : k => merge(c, {
      # Bronze rows carry the metadata columns; the contract does not repeat them.
      all_columns = concat(c.columns, c.layer == "bronze" ? var.metadata_columns : [])
    })
  }

  crawler_layers = var.enable_crawlers ? toset([for l in ["bronze", "silver", "gold"] : l if contains(var.layers, l) && length([for t in local.tables : t if t.layer == l]) > 0]) : toset([])
}

resource "aws_glue_catalog_database" "this" {
  for_each = toset(var.layers)

  name         = "${local.db_prefix}_${each.key}"
  description  = "${each.key} layer of the ${var.name_prefix} lakehouse"
  location_uri = "s3://${var.lake_bucket_id}/${each.key}/"
}

resource "aws_glue_catalog_table" "this" {
  for_each = local.tables

  name          = each.value.table
  database_name = aws_glue_catalog_database.this[each.value.layer].name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  # Athena and Spark read the schema from the Delta log; the columns here serve the catalog,
  # Lake Formation column grants and discovery.
  parameters = {
    EXTERNAL                     = "TRUE"
    table_type                   = "DELTA"
    classification               = "delta"
    "spark.sql.sources.provider" = "delta"
    source_system                = each.value.source_system
    domain                       = each.value.domain
    sensitivity                  = each.value.sensitivity
  }

  dynamic "partition_keys" {
    # In partition_by order; a missing column is reported by the precondition below.
    for_each = flatten([for p in each.value.partition_by : [for col in each.value.all_columns : col if col.name == p]])
    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.description
    }
  }

  storage_descriptor {
    location      = "s3://${var.lake_bucket_id}/${each.value.layer}/${each.value.table}"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = [for col in each.value.all_columns : col if !contains(each.value.partition_by, col.name)]
      content {
        name       = columns.value.name
        type       = columns.value.type
        comment    = columns.value.description
        parameters = columns.value.pii ? { pii = "true" } : null
      }
    }
  }

  lifecycle {
    precondition {
      condition     = alltrue([for p in each.value.partition_by : contains([for col in each.value.all_columns : col.name], p)])
      error_message = "Contract ${each.key}: partition_by names a column that is not in columns (bronze tables may also use the metadata columns)."
    }
  }
}

resource "aws_glue_security_configuration" "this" {
  name = "${var.name_prefix}-glue"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.logs_kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.lake_kms_key_arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.lake_kms_key_arn
    }
  }
}

resource "aws_glue_data_catalog_encryption_settings" "this" {
  count = var.enable_catalog_encryption ? 1 : 0

  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.lake_kms_key_arn
    }

    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.lake_kms_key_arn
    }
  }
}

resource "aws_glue_crawler" "delta" {
  for_each = local.crawler_layers

  name                   = "${var.name_prefix}-${each.key}-delta"
  database_name          = aws_glue_catalog_database.this[each.key].name
  role                   = var.crawler_role_arn
  schedule               = var.crawler_schedule
  security_configuration = aws_glue_security_configuration.this.name

  delta_target {
    delta_tables              = sort([for t in local.tables : "s3://${var.lake_bucket_id}/${t.layer}/${t.table}" if t.layer == each.key])
    write_manifest            = false
    create_native_delta_table = true
  }

  # Terraform owns the table definitions: the crawler reports drift in its logs, it does not rewrite.
  schema_change_policy {
    delete_behavior = "LOG"
    update_behavior = "LOG"
  }

  lifecycle {
    precondition {
      condition     = var.crawler_role_arn != null
      error_message = "glue: enable_crawlers needs crawler_role_arn."
    }
  }
}
