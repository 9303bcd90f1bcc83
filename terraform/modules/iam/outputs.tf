output "emr_job_role_arn" {
  description = "ARN of the EMR Serverless job runtime role."
  value       = try(aws_iam_role.service["emr_job"].arn, null)
}

output "mwaa_execution_role_arn" {
  description = "ARN of the MWAA execution role (null when MWAA is off)."
  value       = try(aws_iam_role.service["mwaa"].arn, null)
}

output "lambda_role_arns" {
  description = "Lambda execution role ARNs: landing_trigger, failure_notifier."
  value = {
    landing_trigger  = try(aws_iam_role.service["landing_trigger"].arn, null)
    failure_notifier = try(aws_iam_role.service["failure_notifier"].arn, null)
  }
}

output "glue_crawler_role_arn" {
  description = "ARN of the Glue crawler role (null when crawlers are off)."
  value       = try(aws_iam_role.service["glue_crawler"].arn, null)
}

output "lakeformation_registration_role_arn" {
  description = "ARN of the role Lake Formation assumes for the registered lake location (modules/lakeformation registration_role_arn)."
  value       = try(aws_iam_role.service["lakeformation_registration"].arn, null)
}

output "analyst_role_arn" {
  description = "ARN of the analyst role (null when disabled)."
  value       = try(aws_iam_role.analyst[0].arn, null)
}

output "github_plan_role_arn" {
  description = "ARN of the GitHub Actions plan role (null when GitHub OIDC is off)."
  value       = try(aws_iam_role.github["github_plan"].arn, null)
}

output "github_apply_role_arn" {
  description = "ARN of the GitHub Actions apply role (null when GitHub OIDC is off)."
  value       = try(aws_iam_role.github["github_apply"].arn, null)
}

output "github_oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider used (created or passed in; null when off)."
  value       = local.gh_provider
}
