output "application_id" {
  description = "ID of the EMR Serverless application (StartJobRun applicationId)."
  value       = try(aws_emrserverless_application.this.id, null)
}

output "application_arn" {
  description = "ARN of the EMR Serverless application."
  value       = try(aws_emrserverless_application.this.arn, null)
}

output "application_name" {
  description = "Name of the EMR Serverless application."
  value       = try(aws_emrserverless_application.this.name, null)
}

output "release_label" {
  description = "EMR release label the application runs."
  value       = try(aws_emrserverless_application.this.release_label, null)
}

output "spark_defaults" {
  description = "The spark-defaults properties (Delta extension/catalog, Delta jars, Glue metastore) every job run must carry."
  value       = local.spark_defaults
}

output "configuration_overrides" {
  description = "StartJobRun configurationOverrides (spark-defaults + S3/CloudWatch monitoring with KMS) as an object."
  value       = local.configuration_overrides
}

output "configuration_overrides_json" {
  description = "configuration_overrides as JSON, ready to upload next to the job configuration."
  value       = jsonencode(local.configuration_overrides)
}
