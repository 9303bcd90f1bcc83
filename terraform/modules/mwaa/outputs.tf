output "environment_arn" {
  description = "ARN of the MWAA environment (null when disabled)."
  value       = try(aws_mwaa_environment.this[0].arn, null)
}

output "environment_name" {
  description = "Name of the MWAA environment (null when disabled)."
  value       = try(aws_mwaa_environment.this[0].name, null)
}

output "airflow_version" {
  description = "Airflow version the environment runs (null when disabled)."
  value       = try(aws_mwaa_environment.this[0].airflow_version, null)
}

output "webserver_url" {
  description = "Airflow UI URL (null when disabled)."
  value       = try(aws_mwaa_environment.this[0].webserver_url, null)
}

output "log_group_arns" {
  description = "CloudWatch log group ARN per Airflow log type (empty when disabled)."
  value = try({
    dag_processing = aws_mwaa_environment.this[0].logging_configuration[0].dag_processing_logs[0].cloud_watch_log_group_arn
    scheduler      = aws_mwaa_environment.this[0].logging_configuration[0].scheduler_logs[0].cloud_watch_log_group_arn
    task           = aws_mwaa_environment.this[0].logging_configuration[0].task_logs[0].cloud_watch_log_group_arn
    webserver      = aws_mwaa_environment.this[0].logging_configuration[0].webserver_logs[0].cloud_watch_log_group_arn
    worker         = aws_mwaa_environment.this[0].logging_configuration[0].worker_logs[0].cloud_watch_log_group_arn
  }, {})
}

output "vpc_id" {
  description = "ID of the created VPC (null when create_network is false or the module is disabled)."
  value       = try(aws_vpc.this[0].id, null)
}

output "subnet_ids" {
  description = "Subnets the environment runs in (created or passed in; empty when disabled)."
  value       = var.enabled ? local.subnet_ids : []
}

output "security_group_ids" {
  description = "Security groups of the environment (created or passed in; empty when disabled)."
  value       = var.enabled ? local.security_group_ids : []
}
