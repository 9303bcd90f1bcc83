# Plan-time contract of the cloudwatch module: names and metrics follow docs/interfaces.md.
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

override_resource {
  target          = aws_sns_topic.critical
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:lakehouse-test-critical" }
}

override_resource {
  target          = aws_sns_topic.warning
  override_during = plan
  values          = { arn = "arn:aws:sns:eu-west-1:123456789012:lakehouse-test-warning" }
}

variables {
  name_prefix = "lakehouse-test"
  environment = "dev"
  log_groups = {
    emr              = "/aws/emr-serverless/lakehouse-test"
    landing_trigger  = "/aws/lambda/lakehouse-test-landing-trigger"
    failure_notifier = "/aws/lambda/lakehouse-test-failure-notifier"
  }
  logs_kms_key_arn              = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  sns_kms_key_arn               = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  critical_alarm_emails         = ["oncall@example.com"]
  warning_alarm_emails          = ["data-team@example.com"]
  jobs                          = { extract_snowflake = { sla_minutes = 30 }, silver_to_gold = { sla_minutes = 45 }, stream_kafka = { sla_minutes = null } }
  freshness_tables              = { "gold.fact_orders" = 1560, "silver.orders" = 1560 }
  volume_jobs                   = { extract_snowflake = { min_records = 1, max_records = 10000000 } }
  emr_application_id            = "00fabcdefghij012"
  failure_notifier_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:lakehouse-test-failure-notifier"
  lambda_function_names         = { landing_trigger = "lakehouse-test-landing-trigger", failure_notifier = "lakehouse-test-failure-notifier" }
  athena_workgroup_name         = "lakehouse-test-analytics"
}

run "log_groups_and_topics_are_encrypted_and_named_per_interfaces" {
  command = plan

  assert {
    condition     = alltrue([for lg in aws_cloudwatch_log_group.this : lg.kms_key_id == var.logs_kms_key_arn && lg.retention_in_days == 365])
    error_message = "every log group needs the logs KMS key and the retention"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this["emr"].name == "/aws/emr-serverless/lakehouse-test"
    error_message = "EMR log group must be /aws/emr-serverless/<prefix>"
  }
  assert {
    condition     = aws_sns_topic.critical.name == "lakehouse-test-critical" && aws_sns_topic.warning.name == "lakehouse-test-warning"
    error_message = "topics must be <prefix>-critical and <prefix>-warning"
  }
  assert {
    condition     = aws_sns_topic.critical.kms_master_key_id == var.sns_kms_key_arn && aws_sns_topic.warning.kms_master_key_id == var.sns_kms_key_arn
    error_message = "both topics need KMS"
  }
  assert {
    condition     = aws_sns_topic_subscription.critical_email["oncall@example.com"].protocol == "email" && length(aws_sns_topic_subscription.warning_email) == 1
    error_message = "e-mail subscriptions from the lists"
  }
}

run "alarms_use_the_interface_metric_names" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.job_failures.alarm_name == "lakehouse-test-job-failures" && strcontains(one(aws_cloudwatch_metric_alarm.job_failures.metric_query).expression, "SUM(JobFailed) FROM SCHEMA(\"Lakehouse/dev\", Job)")
    error_message = "job-failure alarm must sum JobFailed in Lakehouse/<env>"
  }
  assert {
    condition     = strcontains(one(aws_cloudwatch_metric_alarm.dq_critical.metric_query).expression, "SUM(DQCriticalFailures) FROM SCHEMA(\"Lakehouse/dev\", Job)") && one(aws_cloudwatch_metric_alarm.dq_critical.alarm_actions) == aws_sns_topic.critical.arn
    error_message = "DQ alarm must read DQCriticalFailures and page the critical topic"
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.sla)) == toset(["extract_snowflake", "silver_to_gold"])
    error_message = "one SLA alarm per job with an SLA (none for the streaming job)"
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.sla["silver_to_gold"].threshold == 2700 &&
      aws_cloudwatch_metric_alarm.sla["silver_to_gold"].alarm_name == "lakehouse-test-sla-silver-to-gold" &&
      strcontains(one(aws_cloudwatch_metric_alarm.sla["silver_to_gold"].metric_query).expression, "MAX(DurationSeconds)") &&
      strcontains(one(aws_cloudwatch_metric_alarm.sla["silver_to_gold"].metric_query).expression, "Job = 'silver_to_gold'")
    )
    error_message = "SLA alarm: DurationSeconds of that job above sla_minutes * 60"
  }
  assert {
    condition     = strcontains(one(aws_cloudwatch_metric_alarm.freshness["gold.fact_orders"].metric_query).expression, "MAX(FreshnessMinutes)") && aws_cloudwatch_metric_alarm.freshness["gold.fact_orders"].threshold == 1560
    error_message = "freshness alarm must read FreshnessMinutes against the table's threshold"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.freshness["gold.fact_orders"].alarm_name == "lakehouse-test-freshness-gold-fact-orders" && strcontains(one(aws_cloudwatch_metric_alarm.freshness["gold.fact_orders"].metric_query).expression, "WHERE \"Table\" = 'gold.fact_orders'")
    error_message = "freshness alarm filters on the Table dimension the DQ engine emits (<layer>.<table>)"
  }
  assert {
    condition = (
      strcontains(one(aws_cloudwatch_metric_alarm.volume_low["extract_snowflake"].metric_query).expression, "SUM(RecordsIn)") &&
      aws_cloudwatch_metric_alarm.volume_low["extract_snowflake"].comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.volume_high["extract_snowflake"].comparison_operator == "GreaterThanThreshold"
    )
    error_message = "volume alarms read RecordsIn below min / above max"
  }
  assert {
    condition = alltrue([for q in flatten([
      for a in concat([aws_cloudwatch_metric_alarm.job_failures, aws_cloudwatch_metric_alarm.dq_critical], values(aws_cloudwatch_metric_alarm.sla), values(aws_cloudwatch_metric_alarm.freshness), values(aws_cloudwatch_metric_alarm.volume_low), values(aws_cloudwatch_metric_alarm.volume_high)) : a.metric_query[*].expression
    ]) : length(regexall("(RecordsIn|RecordsOut|RecordsQuarantined|DurationSeconds|DQPassRate|DQCriticalFailures|DQWarningFailures|EstimatedCostUSD|JobFailed|FreshnessMinutes)\\) FROM SCHEMA\\(\"Lakehouse/dev\", Job", q)) == 1])
    error_message = "every alarm query must read one interfaces.md metric from Lakehouse/<env> (Job schema)"
  }
  assert {
    condition     = length(aws_cloudwatch_composite_alarm.pipeline_critical) == 1 && length(aws_cloudwatch_composite_alarm.pipeline_degraded) == 1
    error_message = "composite alarms exist when enabled"
  }
  assert {
    condition     = aws_cloudwatch_composite_alarm.pipeline_critical[0].alarm_rule == "ALARM(\"lakehouse-test-job-failures\") OR ALARM(\"lakehouse-test-dq-critical-failures\")"
    error_message = "pipeline-critical composes the job-failure and DQ alarms"
  }
}

run "failed_emr_runs_reach_the_notifier" {
  command = plan

  assert {
    condition = (
      jsondecode(aws_cloudwatch_event_rule.emr_job_failed[0].event_pattern).source[0] == "aws.emr-serverless" &&
      jsondecode(aws_cloudwatch_event_rule.emr_job_failed[0].event_pattern)["detail-type"][0] == "EMR Serverless Job Run State Change" &&
      jsondecode(aws_cloudwatch_event_rule.emr_job_failed[0].event_pattern).detail.state == ["FAILED"] &&
      jsondecode(aws_cloudwatch_event_rule.emr_job_failed[0].event_pattern).detail.applicationId == ["00fabcdefghij012"]
    )
    error_message = "rule must match FAILED job runs of this application"
  }
  assert {
    condition     = aws_cloudwatch_event_target.emr_job_failed[0].arn == var.failure_notifier_function_arn && aws_lambda_permission.emr_job_failed[0].principal == "events.amazonaws.com"
    error_message = "rule targets the notifier, which EventBridge may invoke"
  }
  assert {
    condition = (
      jsondecode(aws_cloudwatch_event_rule.dq_failed[0].event_pattern).source == ["lakehouse.quality"] &&
      jsondecode(aws_cloudwatch_event_rule.dq_failed[0].event_pattern)["detail-type"] == ["Lakehouse DQ Failure"] &&
      aws_cloudwatch_event_target.dq_failed[0].arn == var.failure_notifier_function_arn &&
      aws_lambda_permission.dq_failed[0].principal == "events.amazonaws.com"
    )
    error_message = "critical DQ failure events (lakehouse.dq.alerts SOURCE/DETAIL_TYPE) must reach the failure notifier"
  }
}

run "dashboards_render_valid_json" {
  command = plan

  assert {
    condition     = toset(keys(aws_cloudwatch_dashboard.this)) == toset(["executive", "operations", "data-quality", "cost"])
    error_message = "four dashboards expected"
  }
  assert {
    condition     = alltrue([for k, b in output.dashboard_bodies : can(jsondecode(b)) && length(jsondecode(b).widgets) >= 4])
    error_message = "every dashboard template must render valid JSON with widgets"
  }
  assert {
    condition     = length([for w in jsondecode(output.dashboard_bodies["operations"]).widgets : w if try(w.properties.annotations.horizontal[0].value, 0) == 2700]) == 1
    error_message = "operations dashboard shows each job's SLA line (silver_to_gold: 2700 s)"
  }
  assert {
    condition     = contains(jsondecode(output.dashboard_bodies["executive"]).widgets[1].properties.alarms, "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:lakehouse-test-job-failures")
    error_message = "executive dashboard shows the alarm states"
  }
  assert {
    condition     = aws_cloudwatch_dashboard.this["cost"].dashboard_name == "lakehouse-test-cost"
    error_message = "dashboards are named <prefix>-<kind>"
  }
}

run "dashboards_render_without_optional_inputs" {
  command = plan

  variables {
    jobs                  = {}
    freshness_tables      = {}
    volume_jobs           = {}
    lambda_function_names = {}
    athena_workgroup_name = null
  }

  assert {
    condition     = alltrue([for k, b in output.dashboard_bodies : can(jsondecode(b))])
    error_message = "templates must stay valid JSON when lists are empty"
  }
  assert {
    condition     = length(aws_cloudwatch_composite_alarm.pipeline_degraded) == 0
    error_message = "no degraded composite without warning alarms"
  }
}

run "emulator_switches_turn_off_composites_and_rule" {
  command = plan

  variables {
    enable_composite_alarms   = false
    enable_failure_event_rule = false
    volume_alarm_mode         = "anomaly"
  }

  assert {
    condition     = length(aws_cloudwatch_composite_alarm.pipeline_critical) + length(aws_cloudwatch_composite_alarm.pipeline_degraded) + length(aws_cloudwatch_event_rule.emr_job_failed) + length(aws_lambda_permission.emr_job_failed) + length(aws_cloudwatch_event_rule.dq_failed) == 0
    error_message = "composite alarms and the event rule must be off"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.volume_anomaly["extract_snowflake"].threshold_metric_id == "ad1" && length(aws_cloudwatch_metric_alarm.volume_low) == 0
    error_message = "anomaly mode replaces the thresholds with an anomaly band"
  }
}

run "refuses_bad_email" {
  command = plan
  variables {
    critical_alarm_emails = ["not-an-email"]
  }
  expect_failures = [var.critical_alarm_emails]
}

run "refuses_bad_retention" {
  command = plan
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "refuses_unknown_environment" {
  command = plan
  variables {
    environment = "qa"
  }
  expect_failures = [var.environment]
}
