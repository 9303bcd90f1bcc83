output "lake_bucket_id" {
  description = "Name of the data-lake bucket (prefixes landing/, bronze/, silver/, gold/, quarantine/, audit/, checkpoints/)."
  value       = try(aws_s3_bucket.this["lake"].id, null)
}

output "lake_bucket_arn" {
  description = "ARN of the data-lake bucket."
  value       = try(aws_s3_bucket.this["lake"].arn, null)
}

output "artifacts_bucket_id" {
  description = "Name of the code/artifacts bucket (code/, contracts/, config/, logs/)."
  value       = try(aws_s3_bucket.this["artifacts"].id, null)
}

output "artifacts_bucket_arn" {
  description = "ARN of the code/artifacts bucket."
  value       = try(aws_s3_bucket.this["artifacts"].arn, null)
}

output "mwaa_bucket_id" {
  description = "Name of the MWAA bucket (null when enable_mwaa_bucket is false)."
  value       = try(aws_s3_bucket.this["mwaa"].id, null)
}

output "mwaa_bucket_arn" {
  description = "ARN of the MWAA bucket (null when enable_mwaa_bucket is false)."
  value       = try(aws_s3_bucket.this["mwaa"].arn, null)
}

output "access_logs_bucket_id" {
  description = "Name of the S3 server-access-logs bucket."
  value       = try(aws_s3_bucket.access_logs.id, null)
}

output "athena_results_bucket_id" {
  description = "Name of the Athena query-results bucket."
  value       = try(aws_s3_bucket.this["athena_results"].id, null)
}

output "athena_results_bucket_arn" {
  description = "ARN of the Athena query-results bucket."
  value       = try(aws_s3_bucket.this["athena_results"].arn, null)
}

output "bucket_ids" {
  description = "Every bucket name by purpose (lake, artifacts, athena_results, mwaa, access_logs)."
  value       = merge({ for k, b in aws_s3_bucket.this : k => b.id }, { access_logs = aws_s3_bucket.access_logs.id })
}
