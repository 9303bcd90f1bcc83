# Plan-time contract of the lambda module: packaging, env vars from docs/interfaces.md, triggers.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

override_resource {
  target          = aws_lambda_function.this["landing_trigger"]
  override_during = plan
  values          = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:lakehouse-test-landing-trigger" }
}

variables {
  function_names = { landing_trigger = "lakehouse-test-landing-trigger", failure_notifier = "lakehouse-test-failure-notifier" }
  source_root    = "tests/fixtures"
  build_dir      = "build/test"
  role_arns = {
    landing_trigger  = "arn:aws:iam::123456789012:role/lakehouse-test-landing-trigger"
    failure_notifier = "arn:aws:iam::123456789012:role/service/lakehouse-test-failure-notifier"
  }
  environment            = "dev"
  state_table_name       = "lakehouse-test-state"
  artifacts_bucket_id    = "lakehouse-test-artifacts-123456789012"
  emr_application_id     = "00fabcdefghij012"
  emr_execution_role_arn = "arn:aws:iam::123456789012:role/lakehouse-test-emr-job"
  code_root              = "s3://lakehouse-test-artifacts-123456789012/code"
  job_config_uri         = "s3://lakehouse-test-artifacts-123456789012/config/job_config.json"
  warning_topic_arn      = "arn:aws:sns:eu-west-1:123456789012:lakehouse-test-warning"
  critical_topic_arn     = "arn:aws:sns:eu-west-1:123456789012:lakehouse-test-critical"
  slack_secret_name      = "lakehouse-test/slack-webhook"
  log_group_names        = { landing_trigger = "/aws/lambda/lakehouse-test-landing-trigger", failure_notifier = "/aws/lambda/lakehouse-test-failure-notifier" }
  env_kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  lake_bucket_id         = "lakehouse-test-lake-123456789012"
  lake_bucket_arn        = "arn:aws:s3:::lakehouse-test-lake-123456789012"
}

run "functions_get_interface_env_vars_and_hardening" {
  command = plan

  assert {
    condition = toset(keys(aws_lambda_function.this["landing_trigger"].environment[0].variables)) == toset([
      "ENVIRONMENT", "STATE_TABLE", "ARTIFACTS_BUCKET", "EMR_APPLICATION_ID", "EMR_EXECUTION_ROLE_ARN", "CODE_ROOT", "JOB_CONFIG_URI", "WARNING_TOPIC_ARN"
    ])
    error_message = "landing_trigger env vars must be exactly those of docs/interfaces.md"
  }
  assert {
    condition     = aws_lambda_function.this["failure_notifier"].environment[0].variables == tomap({ ENVIRONMENT = "dev", CRITICAL_TOPIC_ARN = var.critical_topic_arn, SLACK_SECRET_NAME = "lakehouse-test/slack-webhook" })
    error_message = "failure_notifier env vars must be exactly those of docs/interfaces.md"
  }
  assert {
    condition = alltrue([for f in aws_lambda_function.this :
      f.runtime == "python3.11" && f.handler == "handler.handler" && f.tracing_config[0].mode == "Active" &&
      f.kms_key_arn == var.env_kms_key_arn && f.reserved_concurrent_executions >= 1 && f.logging_config[0].log_format == "JSON"
    ])
    error_message = "Python 3.11, handler.handler, X-Ray, KMS env vars, reserved concurrency and JSON logs on both functions"
  }
  assert {
    condition     = aws_lambda_function.this["failure_notifier"].logging_config[0].log_group == "/aws/lambda/lakehouse-test-failure-notifier"
    error_message = "functions log to the group the cloudwatch module owns"
  }
  assert {
    condition     = aws_iam_role_policy.dlq_send["failure_notifier"].role == "lakehouse-test-failure-notifier" && length(aws_lambda_function.this["landing_trigger"].dead_letter_config) == 1
    error_message = "a DLQ per function, with send permission on the function's own role (name parsed from a path ARN)"
  }
}

run "packages_are_deterministic_and_clean" {
  command = plan

  assert {
    condition     = data.archive_file.handler["landing_trigger"].output_base64sha256 == output.package_hashes["landing_trigger"] && aws_lambda_function.this["landing_trigger"].source_code_hash == data.archive_file.handler["landing_trigger"].output_base64sha256
    error_message = "the deployed code hash is the zip's hash"
  }
  assert {
    condition     = contains(data.archive_file.handler["landing_trigger"].excludes, "__pycache__") && contains(data.archive_file.handler["landing_trigger"].excludes, "tests")
    error_message = "byte-code caches and tests stay out of the zip"
  }
}

run "landing_prefix_triggers_the_landing_function" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket_notification.landing[0].bucket == "lakehouse-test-lake-123456789012" &&
      aws_s3_bucket_notification.landing[0].lambda_function[0].filter_prefix == "landing/" &&
      contains(aws_s3_bucket_notification.landing[0].lambda_function[0].events, "s3:ObjectCreated:*")
    )
    error_message = "ObjectCreated under landing/ of the lake bucket must invoke the landing trigger"
  }
  assert {
    condition     = aws_lambda_permission.landing_s3[0].principal == "s3.amazonaws.com" && aws_lambda_permission.landing_s3[0].source_arn == var.lake_bucket_arn && aws_lambda_permission.landing_s3[0].source_account == "123456789012"
    error_message = "S3 may invoke the function only for the lake bucket of this account"
  }
}

run "no_notification_or_dlq_when_disabled" {
  command = plan

  variables {
    enable_landing_notification = false
    enable_dlq                  = false
  }

  assert {
    condition     = length(aws_s3_bucket_notification.landing) + length(aws_lambda_permission.landing_s3) + length(aws_sqs_queue.dlq) == 0
    error_message = "nothing extra when disabled"
  }
}

run "plain_logging_uses_the_default_group" {
  command = plan

  variables {
    enable_advanced_logging = false
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : length(f.logging_config) == 0])
    error_message = "without advanced logging no logging_config is sent (logs go to /aws/lambda/<function>)"
  }
}

run "refuses_custom_log_group_without_advanced_logging" {
  command = plan
  variables {
    enable_advanced_logging = false
    log_group_names         = { landing_trigger = "/custom/landing", failure_notifier = "/aws/lambda/lakehouse-test-failure-notifier" }
  }
  expect_failures = [aws_lambda_function.this["landing_trigger"]]
}

run "refuses_bad_job_config_uri" {
  command = plan
  variables {
    job_config_uri = "https://example.com/job_config.json"
  }
  expect_failures = [var.job_config_uri]
}

run "refuses_non_role_arn" {
  command = plan
  variables {
    role_arns = { landing_trigger = "lakehouse-test-landing-trigger", failure_notifier = "arn:aws:iam::123456789012:role/x" }
  }
  expect_failures = [var.role_arns]
}
