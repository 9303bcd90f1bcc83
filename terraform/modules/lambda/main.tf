data "aws_caller_identity" "current" {}

locals {
  handlers = toset(["landing_trigger", "failure_notifier"])

  # Environment variables exactly as docs/interfaces.md lists them, per handler.
  environment_variables = {
    landing_trigger = {
      ENVIRONMENT            = var.environment
      STATE_TABLE            = var.state_table_name
      ARTIFACTS_BUCKET       = var.artifacts_bucket_id
      EMR_APPLICATION_ID     = var.emr_application_id
      EMR_EXECUTION_ROLE_ARN = var.emr_execution_role_arn
      CODE_ROOT              = var.code_root
      JOB_CONFIG_URI         = var.job_config_uri
      WARNING_TOPIC_ARN      = var.warning_topic_arn
    }
    failure_notifier = {
      ENVIRONMENT        = var.environment
      CRITICAL_TOPIC_ARN = var.critical_topic_arn
      SLACK_SECRET_NAME  = var.slack_secret_name
    }
  }

  role_names = { for k, arn in var.role_arns : k => element(split("/", arn), length(split("/", arn)) - 1) }
}

# Deterministic zips: archive sets fixed timestamps, and caches/tests never enter the package.
data "archive_file" "handler" {
  for_each = local.handlers

  type        = "zip"
  source_dir  = "${var.source_root}/${each.key}"
  output_path = "${var.build_dir}/${each.key}.zip"
  excludes    = ["__pycache__", "tests", ".pytest_cache"]
}

resource "aws_sqs_queue" "dlq" {
  for_each = var.enable_dlq ? local.handlers : toset([])

  name                              = "${var.function_names[each.key]}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.dlq_kms_key_arn
  kms_data_key_reuse_period_seconds = var.dlq_kms_key_arn == null ? null : 300
  sqs_managed_sse_enabled           = var.dlq_kms_key_arn == null ? true : null
  tags                              = var.tags
}

data "aws_iam_policy_document" "dlq_send" {
  for_each = var.enable_dlq ? local.handlers : toset([])

  statement {
    sid       = "SendToOwnDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq[each.key].arn]
  }

  dynamic "statement" {
    for_each = var.dlq_kms_key_arn == null ? [] : [var.dlq_kms_key_arn]
    content {
      sid       = "EncryptDeadLetters"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

# The queue exists only in this module, so the permission to use it is granted here, scoped to it.
resource "aws_iam_role_policy" "dlq_send" {
  for_each = var.enable_dlq ? local.handlers : toset([])

  name   = "${var.function_names[each.key]}-dlq-send"
  role   = local.role_names[each.key]
  policy = data.aws_iam_policy_document.dlq_send[each.key].json
}

resource "aws_lambda_function" "this" {
  for_each = local.handlers

  #checkov:skip=CKV_AWS_117:The handlers call only AWS APIs (S3, DynamoDB, EMR Serverless, SNS, Secrets Manager); no VPC resource to reach.
  #checkov:skip=CKV_AWS_272:Code is built and deployed by this Terraform apply from the reviewed repository; no external signer profile.
  function_name                  = var.function_names[each.key]
  description                    = each.key == "landing_trigger" ? "Validates files landed under ${var.landing_prefix} and starts the ingest job" : "Notifies on failed EMR Serverless job runs"
  role                           = var.role_arns[each.key]
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  handler                        = "handler.handler"
  filename                       = data.archive_file.handler[each.key].output_path
  source_code_hash               = data.archive_file.handler[each.key].output_base64sha256
  timeout                        = var.timeout_seconds
  memory_size                    = var.memory_mb
  reserved_concurrent_executions = var.reserved_concurrency[each.key]
  kms_key_arn                    = var.env_kms_key_arn

  environment {
    variables = local.environment_variables[each.key]
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "logging_config" {
    for_each = var.enable_advanced_logging ? [var.log_group_names[each.key]] : []
    content {
      log_format            = "JSON"
      log_group             = logging_config.value
      application_log_level = var.log_level
      system_log_level      = "WARN"
    }
  }

  dynamic "dead_letter_config" {
    for_each = var.enable_dlq ? [aws_sqs_queue.dlq[each.key].arn] : []
    content {
      target_arn = dead_letter_config.value
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.enable_advanced_logging || var.log_group_names[each.key] == "/aws/lambda/${var.function_names[each.key]}"
      error_message = "Variable log_group_names must be /aws/lambda/<function name> when enable_advanced_logging is false (Lambda then writes to its default group)."
    }
  }

  depends_on = [aws_iam_role_policy.dlq_send]
}

resource "aws_lambda_permission" "landing_s3" {
  count = var.enable_landing_notification ? 1 : 0

  statement_id   = "AllowLakeBucketLandingNotification"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["landing_trigger"].arn
  principal      = "s3.amazonaws.com"
  source_arn     = var.lake_bucket_arn
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_s3_bucket_notification" "landing" {
  count = var.enable_landing_notification ? 1 : 0

  bucket = var.lake_bucket_id

  lambda_function {
    id                  = "landing-trigger"
    lambda_function_arn = aws_lambda_function.this["landing_trigger"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = var.landing_prefix
  }

  depends_on = [aws_lambda_permission.landing_s3]
}
