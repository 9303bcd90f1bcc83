# Outputs of the compute/operations half.

output "emr_application_id" {
  description = "EMR Serverless application ID (StartJobRun applicationId)."
  value       = module.emr_serverless.application_id
}

output "emr_application_arn" {
  description = "EMR Serverless application ARN."
  value       = module.emr_serverless.application_arn
}

output "emr_configuration_overrides_uri" {
  description = "S3 URI of the StartJobRun configurationOverrides (Delta/Glue spark-defaults, encrypted S3 + CloudWatch logs)."
  value       = "s3://${module.s3.artifacts_bucket_id}/${aws_s3_object.emr_configuration_overrides.key}"
}

output "alarm_topic_arns" {
  description = "SNS topics: critical (job failures, critical DQ) and warning (SLA, freshness, volume)."
  value = {
    critical = module.cloudwatch.critical_topic_arn
    warning  = module.cloudwatch.warning_topic_arn
  }
}

output "log_group_names" {
  description = "CloudWatch log groups by key (emr, landing_trigger, failure_notifier)."
  value       = module.cloudwatch.log_group_names
}

output "alarm_names" {
  description = "Metric alarm names by kind (job_failures, dq_critical, sla, freshness, volume)."
  value       = module.cloudwatch.alarm_names
}

output "dashboard_names" {
  description = "CloudWatch dashboards by kind."
  value       = module.cloudwatch.dashboard_names
}

output "lambda_function_arns" {
  description = "Lambda function ARNs (landing_trigger, failure_notifier)."
  value       = module.lambda.function_arns
}

output "mwaa_environment_arn" {
  description = "MWAA environment ARN (null when enable_mwaa is false)."
  value       = module.mwaa.environment_arn
}

output "mwaa_webserver_url" {
  description = "Airflow UI URL (null when enable_mwaa is false)."
  value       = module.mwaa.webserver_url
}

output "quicksight_dashboard_arn" {
  description = "QuickSight dashboard ARN (null when enable_quicksight is false)."
  value       = module.quicksight.dashboard_arn
}
