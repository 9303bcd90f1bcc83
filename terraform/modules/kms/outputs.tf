output "lake_key_arn" {
  description = "ARN of the lake-data key (S3, Glue catalog, Athena results, EMR, MWAA)."
  value       = try(aws_kms_key.this["lake"].arn, null)
}

output "logs_key_arn" {
  description = "ARN of the logs/alerts key (CloudWatch Logs, SNS)."
  value       = try(aws_kms_key.this["logs"].arn, null)
}

output "secrets_key_arn" {
  description = "ARN of the secrets/state key (Secrets Manager, DynamoDB)."
  value       = try(aws_kms_key.this["secrets"].arn, null)
}

output "key_arns" {
  description = "All key ARNs by purpose (lake, logs, secrets)."
  value       = { for k, v in aws_kms_key.this : k => v.arn }
}

output "alias_names" {
  description = "Key aliases by purpose."
  value       = { for k, v in aws_kms_alias.this : k => v.name }
}
