output "critical_topic_arn" {
  description = "ARN of the critical SNS topic (<prefix>-critical)."
  value       = try(aws_sns_topic.critical.arn, null)
}

output "warning_topic_arn" {
  description = "ARN of the warning SNS topic (<prefix>-warning)."
  value       = try(aws_sns_topic.warning.arn, null)
}

output "log_group_names" {
  description = "Log group names by key (emr, landing_trigger, failure_notifier)."
  value       = { for k, lg in aws_cloudwatch_log_group.this : k => lg.name }
}

output "log_group_arns" {
  description = "Log group ARNs by key."
  value       = { for k, lg in aws_cloudwatch_log_group.this : k => lg.arn }
}

output "metric_namespace" {
  description = "The namespace the jobs publish to and the alarms read (Lakehouse/<env>)."
  value       = local.namespace
}

output "alarm_names" {
  description = "Every metric alarm name, by kind."
  value = {
    job_failures = aws_cloudwatch_metric_alarm.job_failures.alarm_name
    dq_critical  = aws_cloudwatch_metric_alarm.dq_critical.alarm_name
    sla          = { for k, a in aws_cloudwatch_metric_alarm.sla : k => a.alarm_name }
    freshness    = { for k, a in aws_cloudwatch_metric_alarm.freshness : k => a.alarm_name }
    volume       = local.volume_alarm_names
  }
}

output "composite_alarm_arns" {
  description = "ARNs of the composite alarms (empty when disabled)."
  value = compact([
    try(aws_cloudwatch_composite_alarm.pipeline_critical[0].arn, null),
    try(aws_cloudwatch_composite_alarm.pipeline_degraded[0].arn, null),
  ])
}

output "composite_alarm_names" {
  description = "Names of the composite alarms (empty when disabled)."
  value = concat(
    [for a in aws_cloudwatch_composite_alarm.pipeline_critical : a.alarm_name],
    [for a in aws_cloudwatch_composite_alarm.pipeline_degraded : a.alarm_name],
  )
}

output "failure_event_rule_arn" {
  description = "ARN of the EventBridge rule for FAILED EMR Serverless job runs (null when disabled)."
  value       = try(aws_cloudwatch_event_rule.emr_job_failed[0].arn, null)
}

output "dashboard_names" {
  description = "Dashboard names by kind (executive, operations, data-quality, cost)."
  value       = { for k, d in aws_cloudwatch_dashboard.this : k => d.dashboard_name }
}

output "dashboard_bodies" {
  description = "Rendered dashboard JSON by kind (also when dashboards are disabled), for review and tests."
  value       = local.dashboard_bodies
}
