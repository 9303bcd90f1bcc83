output "workgroup_name" {
  description = "Name of the Athena workgroup."
  value       = try(aws_athena_workgroup.this.name, null)
}

output "workgroup_arn" {
  description = "ARN of the Athena workgroup."
  value       = try(aws_athena_workgroup.this.arn, null)
}

output "results_location" {
  description = "S3 location of query results."
  value       = "s3://${var.results_bucket_id}/${var.name_prefix}-analytics/"
}

output "named_query_ids" {
  description = "Named query ids by name."
  value       = { for k, q in aws_athena_named_query.this : k => q.id }
}

output "views" {
  description = "Views by name: Glue database and name (for Lake Formation grants)."
  value       = { for k, v in aws_glue_catalog_table.view : k => { database = v.database_name, name = v.name } }
}
