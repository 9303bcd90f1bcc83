# Contract of modules/glue: one Delta table per contract, bronze tables carry the metadata columns,
# partition keys come from partition_by, PII columns are marked; malformed contracts are refused.
mock_provider "aws" {}

variables {
  name_prefix      = "lakehouse-test"
  lake_bucket_id   = "lakehouse-test-lake-123456789012"
  lake_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/lake"
  logs_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/logs"
  metadata_columns = [
    { name = "_ingested_at", type = "timestamp" },
    { name = "_execution_date", type = "date" },
  ]
  contracts = {
    "bronze/customers" = {
      table        = "customers"
      layer        = "bronze"
      partition_by = ["_execution_date"]
      sensitivity  = "pii"
      domain       = "customer"
      columns = [
        { name = "customer_id", type = "string", nullable = false },
        { name = "email", type = "string", pii = true },
        { name = "credit", type = "decimal(18,2)" },
      ]
    }
    "gold/daily_revenue" = {
      table        = "daily_revenue"
      layer        = "gold"
      partition_by = ["order_date"]
      columns = [
        { name = "order_date", type = "date" },
        { name = "revenue_usd", type = "decimal(18, 2)" },
      ]
    }
  }
}

run "one_delta_table_per_contract" {
  command = plan

  module {
    source = "./modules/glue"
  }

  assert {
    condition     = length(aws_glue_catalog_table.this) == 2 && output.table_names == tolist(["bronze.customers", "gold.daily_revenue"])
    error_message = "one Glue table per contract"
  }

  assert {
    condition     = aws_glue_catalog_table.this["bronze/customers"].database_name == "lakehouse_test_bronze" && aws_glue_catalog_table.this["bronze/customers"].parameters.table_type == "DELTA"
    error_message = "bronze contracts must land in <db_prefix>_bronze as Delta tables"
  }

  assert {
    condition     = aws_glue_catalog_table.this["bronze/customers"].storage_descriptor[0].location == "s3://lakehouse-test-lake-123456789012/bronze/customers"
    error_message = "a table lives at s3://<lake>/<layer>/<table>"
  }

  assert {
    condition = (
      [for c in aws_glue_catalog_table.this["bronze/customers"].storage_descriptor[0].columns : c.name] == ["customer_id", "email", "credit", "_ingested_at"] &&
      [for p in aws_glue_catalog_table.this["bronze/customers"].partition_keys : p.name] == ["_execution_date"]
    )
    error_message = "bronze tables get the metadata columns appended; partition columns move to partition_keys"
  }

  assert {
    condition     = [for c in aws_glue_catalog_table.this["gold/daily_revenue"].storage_descriptor[0].columns : c.name] == ["revenue_usd"]
    error_message = "non-bronze tables get no metadata columns"
  }

  assert {
    condition     = join(",", output.tables["bronze/customers"].pii_columns) == "email" && length(output.tables["gold/daily_revenue"].pii_columns) == 0
    error_message = "PII columns must be reported for Lake Formation"
  }

  assert {
    condition     = length(aws_glue_crawler.delta) == 0 && length(aws_glue_data_catalog_encryption_settings.this) == 1
    error_message = "crawlers off by default; catalog encryption on by default"
  }
}

run "contract_in_the_wrong_folder_is_refused" {
  command = plan

  module {
    source = "./modules/glue"
  }

  variables {
    contracts = {
      "silver/orders" = { table = "orders", layer = "bronze", columns = [{ name = "id", type = "string" }] }
    }
  }

  expect_failures = [var.contracts]
}

run "unknown_column_type_is_refused" {
  command = plan

  module {
    source = "./modules/glue"
  }

  variables {
    contracts = {
      "bronze/orders" = { table = "orders", layer = "bronze", columns = [{ name = "amount", type = "money" }] }
    }
  }

  expect_failures = [var.contracts]
}

run "unknown_sensitivity_is_refused" {
  command = plan

  module {
    source = "./modules/glue"
  }

  variables {
    contracts = {
      "bronze/orders" = { table = "orders", layer = "bronze", sensitivity = "secret", columns = [{ name = "id", type = "string" }] }
    }
  }

  expect_failures = [var.contracts]
}

run "partition_column_must_exist" {
  command = plan

  module {
    source = "./modules/glue"
  }

  variables {
    contracts = {
      "gold/orders" = { table = "orders", layer = "gold", partition_by = ["dt"], columns = [{ name = "id", type = "string" }] }
    }
  }

  expect_failures = [aws_glue_catalog_table.this["gold/orders"]]
}

run "crawlers_need_a_valid_schedule" {
  command = plan

  module {
    source = "./modules/glue"
  }

  variables {
    enable_crawlers  = true
    crawler_role_arn = "arn:aws:iam::123456789012:role/crawler"
    crawler_schedule = "every day"
  }

  expect_failures = [var.crawler_schedule]
}
