# Compute and operations: EMR Serverless, MWAA, CloudWatch (logs, alarms, dashboards), the Lambda
# handlers and QuickSight, wired from the storage half (main.tf) and from the files each fact lives in:
# the job graph (emr_jobs/conf/pipeline.yaml), the DQ suites (emr_jobs/conf/dq/*.yaml), the gold
# contracts (glue/gold/*.yaml) and the QuickSight definitions (quicksight/*.yaml).
locals {
  pipeline = yamldecode(file("${local.repo_root}/emr_jobs/conf/pipeline.yaml"))

  # The freshness budget of a table is its DQ freshness check; the alarm watches the metric that check
  # emits (Table dimension <layer>.<table>, minutes).
  dq_suite_files = fileset("${local.repo_root}/emr_jobs/conf/dq", "*.yaml")
  dq_freshness = merge([
    for f in local.dq_suite_files : {
      for pair in flatten([
        for t in try(yamldecode(file("${local.repo_root}/emr_jobs/conf/dq/${f}")).tables, []) : [
          for c in try(t.checks, []) : { table = replace(t.table, "/", "."), minutes = c.max_age_hours * 60 }
          if try(c.check, "") == "freshness"
        ]
      ]) : pair.table => pair.minutes
    }
  ]...)

  extract_jobs = [for name, j in local.pipeline.jobs : name if j.group == "extract_source"]

  emr_configuration_overrides_key = "config/emr_configuration_overrides.json"

  # The Airflow version lives in airflow/requirements.txt's constraints URL (constraints-<version>/...).
  airflow_requirements       = "${local.repo_root}/airflow/requirements.txt"
  airflow_constraint_version = try(regex("constraints-([0-9]+\\.[0-9]+\\.[0-9]+)/", file(local.airflow_requirements))[0], null)
  # null (neither set) falls back to the module's default, the newest version MWAA supports.
  mwaa_airflow_version = var.mwaa_airflow_version != null ? var.mwaa_airflow_version : local.airflow_constraint_version
}

check "mwaa_airflow_version_matches_requirements" {
  assert {
    condition     = local.airflow_constraint_version == null || var.mwaa_airflow_version == null || var.mwaa_airflow_version == local.airflow_constraint_version
    error_message = "mwaa_airflow_version (${coalesce(var.mwaa_airflow_version, "null")}) differs from the --constraint version in airflow/requirements.txt (${coalesce(local.airflow_constraint_version, "none")}): MWAA would install packages pinned for another Airflow."
  }
}

module "emr_serverless" {
  source = "./modules/emr_serverless"

  name                        = local.names.emr_application
  release_label               = var.emr_release_label
  architecture                = var.emr_architecture
  maximum_capacity            = var.emr_maximum_capacity
  idle_timeout_minutes        = var.emr_idle_timeout_minutes
  enable_initial_capacity     = var.emr_enable_initial_capacity
  initial_capacity            = var.emr_initial_capacity
  enable_vpc                  = var.emr_network != null
  subnet_ids                  = try(var.emr_network.subnet_ids, [])
  security_group_ids          = try(var.emr_network.security_group_ids, [])
  log_uri                     = "s3://${module.s3.artifacts_bucket_id}/${local.emr_log_prefix}"
  s3_logs_kms_key_arn         = module.kms.lake_key_arn
  cloudwatch_log_group_name   = module.cloudwatch.log_group_names["emr"]
  cloudwatch_logs_kms_key_arn = module.kms.logs_key_arn
  spark_defaults              = var.emr_spark_defaults
  delta_log_table_name        = module.state.delta_log_table_name
}

# Provider 5.x cannot set runtime/monitoring configuration on the application itself, so the
# spark-defaults and log settings every StartJobRun must pass are published next to the job config.
resource "aws_s3_object" "emr_configuration_overrides" {
  bucket                 = module.s3.artifacts_bucket_id
  key                    = local.emr_configuration_overrides_key
  content                = module.emr_serverless.configuration_overrides_json
  content_type           = "application/json"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.kms.lake_key_arn
}

resource "aws_s3_object" "mwaa_emr_configuration_overrides" {
  count = var.enable_mwaa ? 1 : 0

  bucket                 = module.s3.mwaa_bucket_id
  key                    = "dags/config/emr_configuration_overrides.json"
  content                = module.emr_serverless.configuration_overrides_json
  content_type           = "application/json"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.kms.lake_key_arn
}

module "cloudwatch" {
  source = "./modules/cloudwatch"

  name_prefix           = local.prefix
  environment           = var.environment
  log_groups            = merge({ emr = local.names.emr_log_group }, local.names.lambda_log_groups)
  log_retention_days    = var.log_retention_days
  logs_kms_key_arn      = module.kms.logs_key_arn
  sns_kms_key_arn       = module.kms.logs_key_arn
  critical_alarm_emails = var.alarm_emails.critical
  warning_alarm_emails  = var.alarm_emails.warning

  jobs              = { for name, j in local.pipeline.jobs : name => { sla_minutes = try(j.sla_minutes, null) } }
  freshness_tables  = merge(local.dq_freshness, var.freshness_threshold_overrides)
  volume_alarm_mode = var.volume_alarm_mode
  volume_jobs = {
    for name in local.extract_jobs : name => {
      min_records = try(var.volume_thresholds[name].min_records, null)
      max_records = try(var.volume_thresholds[name].max_records, null)
    }
  }

  enable_composite_alarms       = var.enable_composite_alarms
  enable_failure_event_rule     = true
  failure_notifier_function_arn = module.lambda.function_arns["failure_notifier"]
  emr_application_id            = module.emr_serverless.application_id
  lambda_function_names         = local.names.lambda_functions
  athena_workgroup_name         = local.names.athena_workgroup
  enable_dashboards             = var.enable_dashboards
}

module "lambda" {
  source = "./modules/lambda"

  function_names          = local.names.lambda_functions
  source_root             = "${local.repo_root}/lambda"
  build_dir               = "${local.repo_root}/build/lambda"
  role_arns               = module.iam.lambda_role_arns
  environment             = var.environment
  state_table_name        = module.state.table_name
  artifacts_bucket_id     = module.s3.artifacts_bucket_id
  emr_application_id      = module.emr_serverless.application_id
  emr_execution_role_arn  = module.iam.emr_job_role_arn
  code_root               = local.code_root
  job_config_uri          = local.mwaa_artifacts.job_config_uri
  warning_topic_arn       = module.cloudwatch.warning_topic_arn
  critical_topic_arn      = module.cloudwatch.critical_topic_arn
  slack_secret_name       = module.state.secret_names["slack-webhook"]
  log_group_names         = { for k in keys(local.names.lambda_functions) : k => module.cloudwatch.log_group_names[k] }
  env_kms_key_arn         = module.kms.secrets_key_arn
  lake_bucket_id          = module.s3.lake_bucket_id
  lake_bucket_arn         = module.s3.lake_bucket_arn
  landing_prefix          = "landing/"
  reserved_concurrency    = var.lambda_reserved_concurrency
  enable_dlq              = var.enable_lambda_dlq
  enable_advanced_logging = var.lambda_advanced_logging
}

module "mwaa" {
  source = "./modules/mwaa"

  enabled                          = var.enable_mwaa
  name                             = local.names.mwaa_environment
  airflow_version                  = local.mwaa_airflow_version
  environment_class                = var.mwaa_environment_class
  min_workers                      = var.mwaa_min_workers
  max_workers                      = var.mwaa_max_workers
  schedulers                       = var.mwaa_schedulers
  webserver_access_mode            = var.mwaa_webserver_access_mode
  kms_key_arn                      = module.kms.lake_key_arn
  execution_role_arn               = module.iam.mwaa_execution_role_arn
  source_bucket_arn                = module.s3.mwaa_bucket_arn
  dag_s3_path                      = trimsuffix(local.mwaa_artifacts.dags_s3_path, "/")
  requirements_s3_path             = local.mwaa_artifacts.requirements_s3_path
  requirements_s3_object_version   = local.mwaa_artifacts.requirements_s3_object_version
  startup_script_s3_path           = local.mwaa_artifacts.startup_script_s3_path
  startup_script_s3_object_version = local.mwaa_artifacts.startup_script_s3_object_version
  create_network                   = var.mwaa_network == null
  subnet_ids                       = try(var.mwaa_network.subnet_ids, [])
  security_group_ids               = try(var.mwaa_network.security_group_ids, [])
  vpc_cidr                         = var.mwaa_vpc_cidr
  flow_log_retention_days          = var.log_retention_days
}

module "quicksight" {
  source = "./modules/quicksight"

  enabled               = var.enable_quicksight
  name_prefix           = local.prefix
  athena_workgroup_name = module.athena.workgroup_name
  gold_database_name    = module.glue.database_names["gold"]
  dataset_definitions   = [for f in fileset("${local.repo_root}/quicksight/datasets", "*.yaml") : yamldecode(file("${local.repo_root}/quicksight/datasets/${f}"))]
  gold_contracts        = { for k, c in local.contracts : c.table => c if c.layer == "gold" }
  dashboard             = yamldecode(file("${local.repo_root}/quicksight/dashboard.yaml"))
  principal_arns        = var.quicksight_principal_arns
}
