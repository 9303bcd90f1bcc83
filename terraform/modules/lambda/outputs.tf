output "function_arns" {
  description = "Function ARNs by handler key (landing_trigger, failure_notifier)."
  value       = { for k, f in aws_lambda_function.this : k => try(f.arn, null) }
}

output "function_names" {
  description = "Function names by handler key."
  value       = { for k, f in aws_lambda_function.this : k => try(f.function_name, null) }
}

output "package_hashes" {
  description = "base64 SHA-256 of each deployment zip (changes only when handler code changes)."
  value       = { for k, a in data.archive_file.handler : k => a.output_base64sha256 }
}

output "dead_letter_queue_arns" {
  description = "Dead-letter queue ARNs by handler key (empty when enable_dlq is false)."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.arn }
}

output "environment_variables" {
  description = "Environment variables per handler (docs/interfaces.md), for review and tests."
  value       = local.environment_variables
}
