output "data_source_arn" {
  description = "ARN of the Athena data source (null when disabled)."
  value       = try(aws_quicksight_data_source.athena[0].arn, null)
}

output "data_set_arns" {
  description = "Data set ARNs by id (empty when disabled)."
  value       = { for k, d in aws_quicksight_data_set.this : k => d.arn }
}

output "dashboard_arn" {
  description = "ARN of the dashboard (null when disabled)."
  value       = try(aws_quicksight_dashboard.this[0].arn, null)
}

output "dashboard_id" {
  description = "ID of the dashboard (null when disabled)."
  value       = try(aws_quicksight_dashboard.this[0].dashboard_id, null)
}
