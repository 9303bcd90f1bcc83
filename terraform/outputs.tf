# Outputs of the storage/catalog/governance half (compute outputs are in compute_outputs.tf).
# Names and ARNs only: no secret values pass through this configuration.

output "names" {
  description = "Resource names of this environment (docs/interfaces.md)."
  value       = local.names
}

output "buckets" {
  description = "Bucket names by purpose (lake, artifacts, athena_results, mwaa, access_logs)."
  value       = module.s3.bucket_ids
}

output "lake_root" {
  description = "Root URI of the lake."
  value       = "s3://${module.s3.lake_bucket_id}"
}

output "code_root" {
  description = "Where the job code lives: lakehouse.zip, entrypoints/, conf/."
  value       = local.code_root
}

output "job_config_uri" {
  description = "S3 URI of the generated job configuration (pass as --config-uri)."
  value       = local.mwaa_artifacts.job_config_uri
}

output "kms_key_arns" {
  description = "KMS key ARNs by purpose (lake, logs, secrets)."
  value       = module.kms.key_arns
}

output "role_arns" {
  description = "IAM role ARNs by purpose (null where disabled)."
  value = {
    emr_job                    = module.iam.emr_job_role_arn
    mwaa_execution             = module.iam.mwaa_execution_role_arn
    landing_trigger            = module.iam.lambda_role_arns.landing_trigger
    failure_notifier           = module.iam.lambda_role_arns.failure_notifier
    glue_crawler               = module.iam.glue_crawler_role_arn
    analyst                    = module.iam.analyst_role_arn
    lakeformation_registration = module.iam.lakeformation_registration_role_arn
    github_plan                = module.iam.github_plan_role_arn
    github_apply               = module.iam.github_apply_role_arn
  }
}

output "state_table_name" {
  description = "DynamoDB table holding watermarks, locks and the landing ledger."
  value       = module.state.table_name
}

output "secret_names" {
  description = "Secrets Manager secret names (values are set outside Terraform)."
  value       = module.state.secret_names
}

output "glue_database_names" {
  description = "Glue databases by layer."
  value       = module.glue.database_names
}

output "glue_table_names" {
  description = "Every contract table as <layer>.<table>."
  value       = module.glue.table_names
}

output "athena_workgroup" {
  description = "Athena workgroup for analysts."
  value       = module.athena.workgroup_name
}

output "lakeformation_pii_access_mode" {
  description = "How the analyst role sees PII tables: columns, filter or withheld."
  value       = module.lakeformation.pii_access_mode
}

output "uploaded_artifact_keys" {
  description = "Keys uploaded to the artifacts bucket by this apply."
  value       = sort(concat(keys(aws_s3_object.artifacts), [aws_s3_object.lakehouse_zip.key, aws_s3_object.job_config.key]))
}
