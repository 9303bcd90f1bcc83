data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  namespace  = "Lakehouse/${var.environment}"
  region     = data.aws_region.current.name
  alarm_arn  = "arn:${data.aws_partition.current.partition}:cloudwatch:${local.region}:${data.aws_caller_identity.current.account_id}:alarm"
  sla_jobs   = { for k, v in var.jobs : k => v.sla_minutes if v.sla_minutes != null }
  volume_low = var.volume_alarm_mode == "threshold" ? { for k, v in var.volume_jobs : k => v.min_records if v.min_records != null } : {}
  volume_hi  = var.volume_alarm_mode == "threshold" ? { for k, v in var.volume_jobs : k => v.max_records if v.max_records != null } : {}
  volume_ad  = var.volume_alarm_mode == "anomaly" ? var.volume_jobs : {}

  # The jobs emit run totals with the Job dimension alone and per-table counts with Job + Table
  # (lakehouse.jobs). Alarms on totals read SCHEMA(<ns>, Job) so per-table datapoints never double count;
  # Metrics Insights then aggregates over every job without one alarm per job.
  per_job = "SCHEMA(\"${local.namespace}\", Job)"
  q = {
    job_failed  = "SELECT SUM(JobFailed) FROM ${local.per_job}"
    dq_critical = "SELECT SUM(DQCriticalFailures) FROM ${local.per_job}"
  }

  alarm_names = {
    job_failures     = "${var.name_prefix}-job-failures"
    dq_critical      = "${var.name_prefix}-dq-critical-failures"
    pipeline_crit    = "${var.name_prefix}-pipeline-critical"
    pipeline_degrade = "${var.name_prefix}-pipeline-degraded"
  }
  sla_alarm_names       = { for k in keys(local.sla_jobs) : k => "${var.name_prefix}-sla-${replace(k, "_", "-")}" }
  freshness_alarm_names = { for k in keys(var.freshness_tables) : k => "${var.name_prefix}-freshness-${replace(replace(k, "_", "-"), ".", "-")}" }
  volume_alarm_names = merge(
    { for k in keys(local.volume_low) : "low-${k}" => "${var.name_prefix}-volume-low-${replace(k, "_", "-")}" },
    { for k in keys(local.volume_hi) : "high-${k}" => "${var.name_prefix}-volume-high-${replace(k, "_", "-")}" },
    { for k in keys(local.volume_ad) : "anomaly-${k}" => "${var.name_prefix}-volume-anomaly-${replace(k, "_", "-")}" },
  )
  warning_alarm_names = concat(values(local.sla_alarm_names), values(local.freshness_alarm_names), values(local.volume_alarm_names))
}

# ---- log groups -----------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.log_groups

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn
  tags              = var.tags
}

# ---- SNS topics -----------------------------------------------------------------------------------

resource "aws_sns_topic" "critical" {
  name              = "${var.name_prefix}-critical"
  kms_master_key_id = var.sns_kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic" "warning" {
  name              = "${var.name_prefix}-warning"
  kms_master_key_id = var.sns_kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "topic" {
  for_each = {
    critical = aws_sns_topic.critical.arn
    warning  = aws_sns_topic.warning.arn
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [each.value]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [each.value]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "critical" {
  arn    = aws_sns_topic.critical.arn
  policy = data.aws_iam_policy_document.topic["critical"].json
}

resource "aws_sns_topic_policy" "warning" {
  arn    = aws_sns_topic.warning.arn
  policy = data.aws_iam_policy_document.topic["warning"].json
}

resource "aws_sns_topic_subscription" "critical_email" {
  for_each = toset(var.critical_alarm_emails)

  topic_arn = aws_sns_topic.critical.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_sns_topic_subscription" "warning_email" {
  for_each = toset(var.warning_alarm_emails)

  topic_arn = aws_sns_topic.warning.arn
  protocol  = "email"
  endpoint  = each.value
}

# ---- metric alarms (namespace Lakehouse/<env>, metric names from docs/interfaces.md) ----------------

resource "aws_cloudwatch_metric_alarm" "job_failures" {
  alarm_name          = local.alarm_names.job_failures
  alarm_description   = "A pipeline job reported JobFailed in ${local.namespace}."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  threshold           = var.job_failure_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.critical.arn]
  ok_actions          = [aws_sns_topic.critical.arn]

  metric_query {
    id          = "q1"
    expression  = local.q.job_failed
    period      = var.alarm_period_seconds
    label       = "JobFailed"
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dq_critical" {
  alarm_name          = local.alarm_names.dq_critical
  alarm_description   = "The critical DQ suite failed (DQCriticalFailures); gold is not published."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  threshold           = var.dq_critical_failure_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.critical.arn]
  ok_actions          = [aws_sns_topic.critical.arn]

  metric_query {
    id          = "q1"
    expression  = local.q.dq_critical
    period      = var.alarm_period_seconds
    label       = "DQCriticalFailures"
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "sla" {
  for_each = local.sla_jobs

  alarm_name          = local.sla_alarm_names[each.key]
  alarm_description   = "Job ${each.key} ran longer than its SLA of ${each.value} minutes (DurationSeconds)."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = each.value * 60
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.warning.arn]

  metric_query {
    id          = "q1"
    expression  = "SELECT MAX(DurationSeconds) FROM ${local.per_job} WHERE Job = '${each.key}'"
    period      = var.alarm_period_seconds
    label       = "DurationSeconds ${each.key}"
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "freshness" {
  for_each = var.freshness_tables

  alarm_name          = local.freshness_alarm_names[each.key]
  alarm_description   = "Table ${each.key} is staler than ${each.value} minutes (FreshnessMinutes)."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = each.value
  # Freshness is measured by the runs; between runs the last verdict stands.
  treat_missing_data = "missing"
  alarm_actions      = [aws_sns_topic.warning.arn]
  ok_actions         = [aws_sns_topic.warning.arn]

  metric_query {
    id          = "q1"
    expression  = "SELECT MAX(FreshnessMinutes) FROM SCHEMA(\"${local.namespace}\", Job, \"Table\") WHERE \"Table\" = '${each.key}'"
    period      = 3600
    label       = "FreshnessMinutes ${each.key}"
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "volume_low" {
  for_each = local.volume_low

  alarm_name          = local.volume_alarm_names["low-${each.key}"]
  alarm_description   = "Job ${each.key} read fewer than ${each.value} records (RecordsIn) in ${var.volume_period_seconds} s."
  comparison_operator = "LessThanThreshold"
  evaluation_periods  = 1
  threshold           = each.value
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.warning.arn]

  metric_query {
    id          = "q1"
    expression  = "SELECT SUM(RecordsIn) FROM ${local.per_job} WHERE Job = '${each.key}'"
    period      = var.volume_period_seconds
    label       = "RecordsIn ${each.key}"
    return_data = true
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "volume_high" {
  for_each = local.volume_hi

  alarm_name          = local.volume_alarm_names["high-${each.key}"]
  alarm_description   = "Job ${each.key} read more than ${each.value} records (RecordsIn) in ${var.volume_period_seconds} s."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = each.value
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.warning.arn]

  metric_query {
    id          = "q1"
    expression  = "SELECT SUM(RecordsIn) FROM ${local.per_job} WHERE Job = '${each.key}'"
    period      = var.volume_period_seconds
    label       = "RecordsIn ${each.key}"
    return_data = true
  }

  tags = var.tags
}

# Anomaly detection needs a plain metric: the run total of RecordsIn, emitted with the Job dimension alone.
resource "aws_cloudwatch_metric_alarm" "volume_anomaly" {
  for_each = local.volume_ad

  alarm_name          = local.volume_alarm_names["anomaly-${each.key}"]
  alarm_description   = "Job ${each.key} read an unusual number of records (RecordsIn outside the anomaly band)."
  comparison_operator = "LessThanLowerOrGreaterThanUpperThreshold"
  evaluation_periods  = 1
  threshold_metric_id = "ad1"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.warning.arn]

  metric_query {
    id          = "m1"
    return_data = true
    metric {
      namespace   = local.namespace
      metric_name = "RecordsIn"
      dimensions  = { Job = each.key }
      period      = var.volume_period_seconds
      stat        = "Sum"
    }
  }

  metric_query {
    id          = "ad1"
    expression  = "ANOMALY_DETECTION_BAND(m1, ${var.anomaly_band_width})"
    label       = "RecordsIn expected band"
    return_data = true
  }

  tags = var.tags
}

# ---- composite alarms (not implemented by moto: off in local.tfvars) ------------------------------

resource "aws_cloudwatch_composite_alarm" "pipeline_critical" {
  count = var.enable_composite_alarms ? 1 : 0

  alarm_name        = local.alarm_names.pipeline_crit
  alarm_description = "The pipeline is broken: a job failed or the critical DQ suite failed."
  alarm_rule        = "ALARM(\"${aws_cloudwatch_metric_alarm.job_failures.alarm_name}\") OR ALARM(\"${aws_cloudwatch_metric_alarm.dq_critical.alarm_name}\")"
  alarm_actions     = [aws_sns_topic.critical.arn]
  ok_actions        = [aws_sns_topic.critical.arn]
  tags              = var.tags
}

resource "aws_cloudwatch_composite_alarm" "pipeline_degraded" {
  count = var.enable_composite_alarms && length(local.warning_alarm_names) > 0 ? 1 : 0

  alarm_name        = local.alarm_names.pipeline_degrade
  alarm_description = "The pipeline is degraded: an SLA, freshness or volume alarm is firing."
  alarm_rule = join(" OR ", [for n in concat(
    [for a in aws_cloudwatch_metric_alarm.sla : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.freshness : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.volume_low : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.volume_high : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.volume_anomaly : a.alarm_name],
  ) : "ALARM(\"${n}\")"])
  alarm_actions = [aws_sns_topic.warning.arn]
  ok_actions    = [aws_sns_topic.warning.arn]
  tags          = var.tags
}

# ---- EMR Serverless job FAILED -> failure notifier -------------------------------------------------

resource "aws_cloudwatch_event_rule" "emr_job_failed" {
  count = var.enable_failure_event_rule ? 1 : 0

  name        = "${var.name_prefix}-emr-job-failed"
  description = "EMR Serverless job runs of ${var.emr_application_id} that end FAILED."
  event_pattern = jsonencode({
    source        = ["aws.emr-serverless"]
    "detail-type" = ["EMR Serverless Job Run State Change"]
    detail = {
      state         = ["FAILED"]
      applicationId = [var.emr_application_id]
    }
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.failure_notifier_function_arn != null
      error_message = "Variable failure_notifier_function_arn must be set when enable_failure_event_rule is true."
    }
  }
}

resource "aws_cloudwatch_event_target" "emr_job_failed" {
  count = var.enable_failure_event_rule ? 1 : 0

  rule      = aws_cloudwatch_event_rule.emr_job_failed[0].name
  target_id = "failure-notifier"
  arn       = var.failure_notifier_function_arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

# The only invoke permission for this rule (the lambda module grants S3 on its own trigger).
resource "aws_lambda_permission" "emr_job_failed" {
  count = var.enable_failure_event_rule ? 1 : 0

  statement_id  = "AllowEventBridgeEmrJobFailed"
  action        = "lambda:InvokeFunction"
  function_name = var.failure_notifier_function_arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.emr_job_failed[0].arn
}

# ---- critical DQ failure (lakehouse.dq.alerts) -> failure notifier ---------------------------------
# The quality job and the gold gate put one event per failed suite on the default bus; the notifier pages
# with the failed checks (an EMR "job failed" page cannot name them).

resource "aws_cloudwatch_event_rule" "dq_failed" {
  count = var.enable_failure_event_rule ? 1 : 0

  name        = "${var.name_prefix}-dq-failed"
  description = "Critical data-quality failures published by the ${var.name_prefix} jobs."
  event_pattern = jsonencode({
    source        = ["lakehouse.quality"]
    "detail-type" = ["Lakehouse DQ Failure"]
    detail        = { environment = [var.environment] }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "dq_failed" {
  count = var.enable_failure_event_rule ? 1 : 0

  rule      = aws_cloudwatch_event_rule.dq_failed[0].name
  target_id = "failure-notifier"
  arn       = var.failure_notifier_function_arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

resource "aws_lambda_permission" "dq_failed" {
  count = var.enable_failure_event_rule ? 1 : 0

  statement_id  = "AllowEventBridgeDqFailed"
  action        = "lambda:InvokeFunction"
  function_name = var.failure_notifier_function_arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.dq_failed[0].arn

  # One function policy, two statements: added and removed one after the other. Side by side, the emulator's
  # read-modify-write of the policy lost one removal and the destroy waited forever on a statement it saw.
  depends_on = [aws_lambda_permission.emr_job_failed]
}

# ---- dashboards -------------------------------------------------------------------------------------

locals {
  dashboard_context = {
    region           = local.region
    namespace        = local.namespace
    name_prefix      = var.name_prefix
    jobs             = sort(keys(var.jobs))
    sla_jobs         = local.sla_jobs
    tables           = sort(keys(var.freshness_tables))
    emr_app_id       = var.emr_application_id
    lambda_functions = var.lambda_function_names
    log_groups       = [for k in sort(keys(var.log_groups)) : var.log_groups[k]]
    athena_workgroup = var.athena_workgroup_name
    critical_alarms  = ["${local.alarm_arn}:${local.alarm_names.job_failures}", "${local.alarm_arn}:${local.alarm_names.dq_critical}"]
    warning_alarms   = [for n in local.warning_alarm_names : "${local.alarm_arn}:${n}"]
  }
  dashboard_bodies = {
    for name in ["executive", "operations", "data-quality", "cost"] :
    name => templatefile("${path.module}/dashboards/${name}.json.tftpl", local.dashboard_context)
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  for_each = var.enable_dashboards ? local.dashboard_bodies : {}

  dashboard_name = "${var.name_prefix}-${each.key}"
  # Round-trip through jsondecode so a template that renders invalid JSON fails the plan here.
  dashboard_body = jsonencode(jsondecode(each.value))
}
