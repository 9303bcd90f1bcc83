output "table_name" {
  description = "Name of the DynamoDB state table."
  value       = try(aws_dynamodb_table.state.name, null)
}

output "table_arn" {
  description = "ARN of the DynamoDB state table."
  value       = try(aws_dynamodb_table.state.arn, null)
}

output "secret_names" {
  description = "Secret names by short name (snowflake, redshift, salesforce, kafka, fx-api, slack-webhook)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.name }
}

output "secret_arns" {
  description = "Secret ARNs by short name."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}
