output "table_name" {
  description = "Name of the DynamoDB state table."
  value       = try(aws_dynamodb_table.state.name, null)
}

output "table_arn" {
  description = "ARN of the DynamoDB state table."
  value       = try(aws_dynamodb_table.state.arn, null)
}

output "delta_log_table_name" {
  description = "Name of the DynamoDB table Delta coordinates S3 commits through (S3DynamoDBLogStore)."
  value       = aws_dynamodb_table.delta_log.name
}

output "delta_log_table_arn" {
  description = "ARN of the Delta commit-coordination table."
  value       = aws_dynamodb_table.delta_log.arn
}

output "secret_names" {
  description = "Secret names by short name (snowflake, redshift, salesforce, kafka, fx-api, slack-webhook)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.name }
}

output "secret_arns" {
  description = "Secret ARNs by short name."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}
