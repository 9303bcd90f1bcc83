# Bad input is refused at plan time by a validation naming the variable and the allowed values.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:role/terraform" }
  }
  mock_data "aws_iam_session_context" {
    defaults = { issuer_arn = "arn:aws:iam::123456789012:role/terraform" }
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
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b"] }
  }
}

variables {
  environment         = "dev"
  budget_alert_emails = ["data-platform@example.com"]
}

run "valid_input_plans" {
  command = plan

  assert {
    condition     = output.names.prefix == "lakehouse-dev"
    error_message = "the default project with environment dev must plan as lakehouse-dev"
  }
}

run "unknown_environment_is_refused" {
  command = plan
  variables {
    environment = "production"
  }
  expect_failures = [var.environment]
}

run "bad_project_name_is_refused" {
  command = plan
  variables {
    project = "Lake_House"
  }
  expect_failures = [var.project]
}

run "athena_scan_capacity_below_minimum_is_refused" {
  command = plan
  variables {
    athena_bytes_scanned_cutoff_per_query = 1024
  }
  expect_failures = [var.athena_bytes_scanned_cutoff_per_query]
}

run "five_field_unix_cron_is_refused_where_aws_cron_is_needed" {
  command = plan
  variables {
    glue_crawler_schedule = "0 3 * * *"
  }
  expect_failures = [var.glue_crawler_schedule]
}

run "non_arn_admin_is_refused" {
  command = plan
  variables {
    lakeformation_admin_arns = ["terraform-user"]
  }
  expect_failures = [var.lakeformation_admin_arns]
}

run "topic_arn_of_another_service_is_refused" {
  command = plan
  variables {
    budget_alert_topic_arns = ["arn:aws:sqs:eu-west-1:123456789012:alerts"]
  }
  expect_failures = [var.budget_alert_topic_arns]
}

run "zero_budget_is_refused" {
  command = plan
  variables {
    budget_monthly_limit_usd = 0
  }
  expect_failures = [var.budget_monthly_limit_usd]
}

run "emulator_endpoint_must_be_a_url" {
  command = plan
  variables {
    emulator_endpoint = "127.0.0.1:4566"
  }
  expect_failures = [var.emulator_endpoint]
}

run "emr_capacity_without_units_is_refused" {
  command = plan
  variables {
    emr_maximum_capacity = { cpu = "lots", memory = "128" }
  }
  expect_failures = [var.emr_maximum_capacity]
}

run "airflow_version_mwaa_never_offered_is_refused" {
  command = plan
  variables {
    mwaa_airflow_version = "3.1.6"
  }
  expect_failures = [var.mwaa_airflow_version]
}
