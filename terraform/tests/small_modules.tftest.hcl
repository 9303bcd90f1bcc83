# Contracts of modules/state, athena, budgets and kms.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:role/terraform" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

run "state_table_and_secrets_without_values" {
  command = plan

  module {
    source = "./modules/state"
  }

  variables {
    name_prefix = "lakehouse-test"
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/secrets"
  }

  assert {
    condition = (
      aws_dynamodb_table.state.name == "lakehouse-test-state" && aws_dynamodb_table.state.hash_key == "pk" && aws_dynamodb_table.state.range_key == "sk" &&
      one(aws_dynamodb_table.state.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.state.ttl).enabled &&
      one(aws_dynamodb_table.state.point_in_time_recovery).enabled && one(aws_dynamodb_table.state.server_side_encryption).kms_key_arn == var.kms_key_arn
    )
    error_message = "state table: pk/sk, TTL on expires_at, PITR and KMS (docs/interfaces.md)"
  }

  assert {
    condition = sort([for s in aws_secretsmanager_secret.this : s.name]) == sort([for n in ["snowflake", "redshift", "salesforce", "kafka", "fx-api", "slack-webhook"] : "lakehouse-test/${n}"]) && alltrue([
    for s in aws_secretsmanager_secret.this : s.kms_key_id == var.kms_key_arn])
    error_message = "one KMS-encrypted secret per source, named <prefix>/<name>"
  }
}

run "athena_workgroup_is_enforced_and_encrypted" {
  command = plan

  module {
    source = "./modules/athena"
  }

  variables {
    name_prefix       = "lakehouse-test"
    results_bucket_id = "lakehouse-test-athena-results-123456789012"
    kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/lake"
    named_queries = {
      top_customers = { database = "lakehouse_test_gold", query = "SELECT 1" }
    }
    views = {
      current_customers = {
        database = "lakehouse_test_gold"
        sql      = "SELECT customer_id, quantity, amount FROM dim_customer"
        columns  = [{ name = "customer_id", type = "string" }, { name = "quantity", type = "int" }, { name = "amount", type = "decimal(18,2)" }]
      }
    }
  }

  assert {
    condition = (
      aws_athena_workgroup.this.name == "lakehouse-test-analytics" &&
      aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration &&
      aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 10737418240 &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://lakehouse-test-athena-results-123456789012/lakehouse-test-analytics/"
    )
    error_message = "the workgroup must enforce its configuration, the scan cutoff and SSE-KMS results"
  }

  assert {
    condition     = aws_athena_named_query.this["top_customers"].database == "lakehouse_test_gold"
    error_message = "named queries come from the input map"
  }

  # The form Athena writes for CREATE VIEW: a VIRTUAL_VIEW whose definition is base64 JSON with Trino types.
  assert {
    condition = (
      aws_glue_catalog_table.view["current_customers"].table_type == "VIRTUAL_VIEW" &&
      aws_glue_catalog_table.view["current_customers"].parameters.presto_view == "true" &&
      [for c in aws_glue_catalog_table.view["current_customers"].storage_descriptor[0].columns : c.type] == ["string", "int", "decimal(18,2)"]
    )
    error_message = "a view is a Glue VIRTUAL_VIEW table marked presto_view, with the declared Hive column types"
  }
  assert {
    condition = jsondecode(base64decode(trimsuffix(trimprefix(aws_glue_catalog_table.view["current_customers"].view_original_text, "/* Presto View: "), " */"))) == {
      originalSql = "SELECT customer_id, quantity, amount FROM dim_customer"
      catalog     = "awsdatacatalog"
      schema      = "lakehouse_test_gold"
      columns     = [{ name = "customer_id", type = "varchar" }, { name = "quantity", type = "integer" }, { name = "amount", type = "decimal(18,2)" }]
    }
    error_message = "the encoded view definition carries the SELECT, the database and the columns in Trino types"
  }
}

run "athena_view_with_create_statement_or_unknown_type_is_refused" {
  command = plan

  module {
    source = "./modules/athena"
  }

  variables {
    name_prefix       = "lakehouse-test"
    results_bucket_id = "lakehouse-test-athena-results-123456789012"
    kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/lake"
    views = {
      v = {
        database = "lakehouse_test_gold"
        sql      = "CREATE VIEW v AS SELECT 1 AS one"
        columns  = [{ name = "one", type = "varchar" }]
      }
    }
  }

  expect_failures = [var.views]
}

run "budget_alerts_at_50_80_100" {
  command = plan

  module {
    source = "./modules/budgets"
  }

  variables {
    name_prefix       = "lakehouse-test"
    monthly_limit_usd = 250
    subscriber_emails = ["finops@example.com"]
  }

  assert {
    condition = (
      aws_budgets_budget.monthly[0].limit_amount == "250.00" && aws_budgets_budget.monthly[0].time_unit == "MONTHLY" &&
      sort([for n in aws_budgets_budget.monthly[0].notification : format("%03d", n.threshold) if n.notification_type == "ACTUAL"]) == tolist(["050", "080", "100"])
    )
    error_message = "monthly budget with actual-spend alerts at 50, 80 and 100 %"
  }
}

run "budget_without_subscribers_is_refused" {
  command = plan

  module {
    source = "./modules/budgets"
  }

  variables {
    name_prefix = "lakehouse-test"
  }

  expect_failures = [aws_budgets_budget.monthly[0]]
}

run "budget_disabled_creates_nothing" {
  command = plan

  module {
    source = "./modules/budgets"
  }

  variables {
    enabled     = false
    name_prefix = "lakehouse-test"
  }

  assert {
    condition     = length(aws_budgets_budget.monthly) == 0 && output.budget_arn == null
    error_message = "no budget when disabled"
  }
}

run "keys_rotate_and_bind_logs_to_named_groups" {
  command = plan

  module {
    source = "./modules/kms"
  }

  variables {
    name_prefix             = "lakehouse-test"
    log_group_name_patterns = ["/aws/lambda/lakehouse-test-*"]
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.enable_key_rotation]) && sort(keys(aws_kms_key.this)) == tolist(["lake", "logs", "secrets"])
    error_message = "lake, logs and secrets keys, each with rotation"
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.key["logs"].statement :
      anytrue([for p in s.principals : contains(p.identifiers, "logs.eu-west-1.amazonaws.com")]) &&
    anytrue([for c in s.condition : c.variable == "kms:EncryptionContext:aws:logs:arn" && contains(c.values, "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/lakehouse-test-*")])])
    error_message = "CloudWatch Logs may use the logs key only for this environment's log groups"
  }

  assert {
    condition     = alltrue(flatten([for d in values(data.aws_iam_policy_document.key) : [for s in d.statement : !contains(s.actions, "kms:*") && !contains(s.actions, "*")]]))
    error_message = "key policies list their actions: no kms:* or *"
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.key["secrets"].statement :
      contains(s.actions, "kms:Decrypt") && anytrue([for c in s.condition : c.variable == "kms:ViaService" && contains(c.values, "lambda.eu-west-1.amazonaws.com")])
    ])
    error_message = "the secrets key encrypts Lambda environment variables: roles must be able to decrypt through Lambda"
  }
}

run "kms_refuses_every_log_group" {
  command = plan

  module {
    source = "./modules/kms"
  }

  variables {
    name_prefix             = "lakehouse-test"
    log_group_name_patterns = ["*"]
  }

  expect_failures = [var.log_group_name_patterns]
}
