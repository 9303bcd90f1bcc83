# The whole root module planned with one environment's tfvars and mocked AWS (no account needed).
# Run once per environment by scripts/tf_check.sh:
#   terraform test -test-directory=tests/environments -var-file=../environments/<env>.tfvars
# The archive provider is real: the lakehouse zip is built as in an apply.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:role/terraform" }
  }
  mock_data "aws_iam_session_context" {
    defaults = { issuer_arn = "arn:aws:iam::123456789012:role/terraform" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b"] }
  }
}

run "environment_plans" {
  command = plan

  assert {
    condition     = output.names.prefix == "${var.project}-${var.environment}" && output.names.db_prefix == replace("${var.project}-${var.environment}", "-", "_")
    error_message = "names must derive from <project>-<environment>"
  }

  assert {
    condition = alltrue([for f in fileset("${path.root}/../glue", "*/*.yaml") :
    contains(output.glue_table_names, replace(trimsuffix(f, ".yaml"), "/", "."))])
    error_message = "every contract file glue/<layer>/<table>.yaml must have a Glue table <layer>.<table>"
  }

  assert {
    condition     = length(output.glue_table_names) == length(fileset("${path.root}/../glue", "*/*.yaml"))
    error_message = "there must be exactly one Glue table per contract file"
  }

  assert {
    condition = alltrue([for f in fileset("${path.root}/../glue", "*/*.yaml") : contains(output.uploaded_artifact_keys, "contracts/${f}")]) && alltrue([
    for f in fileset("${path.root}/../emr_jobs/entrypoints", "*.py") : contains(output.uploaded_artifact_keys, "code/entrypoints/${f}")])
    error_message = "every contract and entry point must be uploaded to the artifacts bucket"
  }

  assert {
    condition     = contains(output.uploaded_artifact_keys, "code/lakehouse.zip") && contains(output.uploaded_artifact_keys, "config/job_config.json")
    error_message = "the package zip and the generated job configuration must be uploaded"
  }

  assert {
    condition = alltrue([for o in concat(values(aws_s3_object.artifacts), values(aws_s3_object.mwaa), [aws_s3_object.lakehouse_zip, aws_s3_object.job_config]) :
    o.server_side_encryption == "aws:kms"])
    error_message = "every uploaded object must be KMS-encrypted"
  }

  assert {
    condition     = contains(keys(output.buckets), "mwaa") == var.enable_mwaa && (var.enable_mwaa || (length(aws_s3_object.mwaa) == 0 && length(aws_s3_object.mwaa_job_config) == 0))
    error_message = "the MWAA bucket, role and DAG uploads must exist exactly when enable_mwaa is true"
  }

  assert {
    condition = (
      tonumber(regex("^[0-9]+", var.emr_maximum_capacity.cpu)) > 0 &&
      tonumber(regex("^[0-9]+", var.emr_maximum_capacity.memory)) > 0 &&
      (var.environment != "prod" || tonumber(regex("^[0-9]+", var.emr_maximum_capacity.cpu)) >= 64)
    )
    error_message = "the EMR application must have a maximum capacity (prod at least 64 vCPU)"
  }

  assert {
    condition     = var.enable_mwaa ? true : output.mwaa_environment_arn == null
    error_message = "no MWAA environment when enable_mwaa is false"
  }

  assert {
    condition     = var.enable_quicksight ? true : output.quicksight_dashboard_arn == null
    error_message = "no QuickSight dashboard when enable_quicksight is false"
  }

  assert {
    condition     = var.environment != "local" || (!var.enable_mwaa && !var.enable_quicksight && !var.enable_budgets && !var.enable_composite_alarms && !var.enable_lakeformation_data_cells_filters && !var.enable_lakeformation_column_grants && var.emulator_endpoint != null && var.force_destroy)
    error_message = "the local environment must run on the emulator with MWAA, QuickSight, budgets, composite alarms, data-cells filters and column grants off, force_destroy on"
  }

  assert {
    condition     = var.environment == "local" || (var.emulator_endpoint == null && !var.force_destroy)
    error_message = "AWS environments must not point at an emulator or allow force_destroy"
  }

  assert {
    condition     = var.environment != "prod" || (var.state_deletion_protection && var.secret_recovery_window_in_days >= 7 && var.kms_deletion_window_in_days == 30)
    error_message = "prod must protect its state table, secrets and keys from quick deletion"
  }
}
