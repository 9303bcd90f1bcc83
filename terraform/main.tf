# Root module: providers, the one name table every module takes its names from, and the composition
# of the storage/catalog/governance half. Compute and monitoring are composed in compute.tf.
provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }

  # Emulator mode (local.tfvars): one endpoint for every service, no account/region checks against AWS.
  skip_credentials_validation = local.emulator
  skip_metadata_api_check     = local.emulator
  skip_region_validation      = local.emulator
  s3_use_path_style           = local.emulator

  endpoints {
    athena         = var.emulator_endpoint
    budgets        = var.emulator_endpoint
    cloudwatch     = var.emulator_endpoint
    dynamodb       = var.emulator_endpoint
    ec2            = var.emulator_endpoint
    emrserverless  = var.emulator_endpoint
    events         = var.emulator_endpoint
    glue           = var.emulator_endpoint
    iam            = var.emulator_endpoint
    kms            = var.emulator_endpoint
    lakeformation  = var.emulator_endpoint
    lambda         = var.emulator_endpoint
    logs           = var.emulator_endpoint
    mwaa           = var.emulator_endpoint
    quicksight     = var.emulator_endpoint
    s3             = var.emulator_endpoint
    scheduler      = var.emulator_endpoint
    secretsmanager = var.emulator_endpoint
    sns            = var.emulator_endpoint
    sqs            = var.emulator_endpoint
    ssm            = var.emulator_endpoint
    sts            = var.emulator_endpoint
  }
}

data "aws_caller_identity" "current" {}

data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  emulator   = var.emulator_endpoint != null
  account_id = data.aws_caller_identity.current.account_id
  repo_root  = "${path.root}/.."
  prefix     = "${var.project}-${var.environment}"
  db_prefix  = replace(local.prefix, "-", "_")

  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  # docs/interfaces.md "Resource names": the one place names are built.
  names = {
    prefix                = local.prefix
    db_prefix             = local.db_prefix
    emr_application       = "${local.prefix}-spark"
    emr_log_group         = "/aws/emr-serverless/${local.prefix}"
    lambda_functions      = { landing_trigger = "${local.prefix}-landing-trigger", failure_notifier = "${local.prefix}-failure-notifier" }
    lambda_log_groups     = { landing_trigger = "/aws/lambda/${local.prefix}-landing-trigger", failure_notifier = "/aws/lambda/${local.prefix}-failure-notifier" }
    mwaa_environment      = "${local.prefix}-airflow"
    mwaa_log_group_prefix = "airflow-${local.prefix}-airflow"
    topics                = { critical = "${local.prefix}-critical", warning = "${local.prefix}-warning" }
    state_table           = "${local.prefix}-state"
    secrets               = { for s in local.secret_keys : s => "${local.prefix}/${s}" }
    glue_databases        = { for l in local.catalog_layers : l => "${local.db_prefix}_${l}" }
    athena_workgroup      = "${local.prefix}-analytics"
    metrics_namespace     = "Lakehouse/${var.environment}"
    buckets = {
      lake           = "${local.prefix}-lake-${local.account_id}"
      artifacts      = "${local.prefix}-artifacts-${local.account_id}"
      mwaa           = "${local.prefix}-mwaa-${local.account_id}"
      access_logs    = "${local.prefix}-access-logs-${local.account_id}"
      athena_results = "${local.prefix}-athena-results-${local.account_id}"
    }
  }

  secret_keys    = ["snowflake", "redshift", "salesforce", "kafka", "fx-api", "slack-webhook"]
  catalog_layers = ["bronze", "silver", "gold", "quarantine", "audit"]

  # Schema contracts: glue/<layer>/<table>.yaml, one file per table (docs/interfaces.md).
  contract_files   = fileset("${local.repo_root}/glue", "*/*.yaml")
  contracts        = { for f in local.contract_files : trimsuffix(f, ".yaml") => yamldecode(file("${local.repo_root}/glue/${f}")) }
  metadata_columns = yamldecode(file("${local.repo_root}/glue/_metadata_columns.yaml")).columns

  # athena_sql/<name>.sql: header lines "-- database: <layer>" and "-- description: <text>" (default
  # database: gold). A file holding "CREATE [OR REPLACE] VIEW <v> AS <select>" becomes the view <v> and
  # declares its columns, one "-- column: <name> <hive type>" line each (docs/interfaces.md); every other
  # file becomes a named query.
  athena_sql = {
    for f in fileset("${local.repo_root}/athena_sql", "*.sql") : trimsuffix(f, ".sql") => {
      text        = file("${local.repo_root}/athena_sql/${f}")
      layer       = try(regex("(?m)^--\\s*database:\\s*([a-z]+)\\s*$", file("${local.repo_root}/athena_sql/${f}"))[0], "gold")
      description = try(regex("(?m)^--\\s*description:\\s*(.+?)\\s*$", file("${local.repo_root}/athena_sql/${f}"))[0], "Named query ${trimsuffix(f, ".sql")}")
      view        = try(regex("(?is)\\bCREATE\\s+(?:OR\\s+REPLACE\\s+)?VIEW\\s+([a-z_][a-z0-9_]*)\\s+AS\\s+(.+?)[;\\s]*$", file("${local.repo_root}/athena_sql/${f}")), null)
    }
  }
  named_queries = {
    for n, q in local.athena_sql : n => { query = q.text, database = local.names.glue_databases[q.layer], description = q.description } if q.view == null
  }
  athena_views = {
    for n, q in local.athena_sql : lower(q.view[0]) => {
      layer       = q.layer
      sql         = q.view[1]
      description = q.description
      columns     = [for c in regexall("(?m)^--\\s*column:\\s*([a-z_][a-z0-9_]*)\\s+(\\S+)\\s*$", q.text) : { name = c[0], type = c[1] }]
    } if q.view != null
  }

  # Log groups the logs key may encrypt (all of them named by this environment's prefix).
  log_group_patterns = [
    "${local.names.emr_log_group}*",
    "/aws/lambda/${local.prefix}-*",
    "${local.names.mwaa_log_group_prefix}-*",
    "/aws-glue/crawlers*",
    "/aws/vendedlogs/${local.prefix}*",
    "/aws/vpc-flow-logs/${local.names.mwaa_environment}", # the MWAA network's flow logs (modules/mwaa)
  ]

  lakeformation_admins = distinct(concat(
    var.lakeformation_admin_arns,
    length(var.lakeformation_admin_arns) > 0 ? [] : [data.aws_iam_session_context.current.issuer_arn],
  ))
}

module "kms" {
  source = "./modules/kms"

  name_prefix             = local.prefix
  deletion_window_in_days = var.kms_deletion_window_in_days
  log_group_name_patterns = local.log_group_patterns
}

module "s3" {
  source = "./modules/s3"

  name_prefix        = local.prefix
  kms_key_arn        = module.kms.lake_key_arn
  force_destroy      = var.force_destroy
  enable_mwaa_bucket = var.enable_mwaa
  lifecycle_days     = var.lifecycle_days
}

module "state" {
  source = "./modules/state"

  name_prefix                    = local.prefix
  kms_key_arn                    = module.kms.secrets_key_arn
  secret_names                   = toset(local.secret_keys)
  secret_recovery_window_in_days = var.secret_recovery_window_in_days
  deletion_protection            = var.state_deletion_protection
}

module "iam" {
  source = "./modules/iam"

  name_prefix = local.prefix
  project     = var.project
  environment = var.environment
  buckets = {
    lake           = module.s3.lake_bucket_arn
    artifacts      = module.s3.artifacts_bucket_arn
    athena_results = module.s3.athena_results_bucket_arn
    mwaa           = module.s3.mwaa_bucket_arn
  }
  kms_key_arns = {
    lake    = module.kms.lake_key_arn
    logs    = module.kms.logs_key_arn
    secrets = module.kms.secrets_key_arn
  }
  state_table_arn     = module.state.table_arn
  delta_log_table_arn = module.state.delta_log_table_arn
  secret_arns         = module.state.secret_arns
  names = {
    glue_databases   = local.names.glue_databases
    emr_log_group    = local.names.emr_log_group
    lambda_functions = local.names.lambda_functions
    mwaa_environment = local.names.mwaa_environment
    topics           = local.names.topics
    athena_workgroup = local.names.athena_workgroup
  }
  emr_log_prefix                  = local.emr_log_prefix
  emr_application_arn             = module.emr_serverless.application_arn
  emr_configuration_overrides_key = local.emr_configuration_overrides_key
  metrics_namespace               = local.names.metrics_namespace
  enable_mwaa                     = var.enable_mwaa
  enable_glue_crawler             = var.enable_glue_crawlers
  enable_analyst                  = var.enable_analyst_role
  analyst_layers                  = var.analyst_layers
  analyst_trusted_principal_arns  = var.analyst_trusted_principal_arns
  github                          = var.github
}

module "glue" {
  source = "./modules/glue"

  name_prefix               = local.prefix
  lake_bucket_id            = module.s3.lake_bucket_id
  layers                    = local.catalog_layers
  contracts                 = local.contracts
  metadata_columns          = local.metadata_columns
  lake_kms_key_arn          = module.kms.lake_key_arn
  logs_kms_key_arn          = module.kms.logs_key_arn
  enable_catalog_encryption = var.enable_glue_catalog_encryption
  enable_crawlers           = var.enable_glue_crawlers
  crawler_role_arn          = module.iam.glue_crawler_role_arn
  crawler_schedule          = var.glue_crawler_schedule
}

module "lakeformation" {
  source = "./modules/lakeformation"

  lake_bucket_arn            = module.s3.lake_bucket_arn
  registration_role_arn      = module.iam.lakeformation_registration_role_arn
  admin_arns                 = local.lakeformation_admins
  database_names             = module.glue.database_names
  tables                     = module.glue.tables
  views                      = { for n, v in module.athena.views : n => merge(v, { layer = local.athena_views[n].layer }) }
  lf_tag_keys                = var.lakeformation_tag_keys
  enable_column_level_grants = var.enable_lakeformation_column_grants
  enable_data_cells_filters  = var.enable_lakeformation_data_cells_filters
  grants = merge(
    {
      emr_job = {
        principal_arn        = module.iam.emr_job_role_arn
        layers               = local.catalog_layers
        table_permissions    = ["SELECT", "INSERT", "DELETE", "ALTER", "DESCRIBE"]
        database_permissions = ["CREATE_TABLE", "ALTER", "DESCRIBE"]
        data_location_access = true
      }
    },
    var.enable_analyst_role ? {
      analyst = {
        principal_arn     = module.iam.analyst_role_arn
        layers            = var.analyst_layers
        table_permissions = ["SELECT", "DESCRIBE"]
        exclude_pii       = true
      }
    } : {},
    var.enable_glue_crawlers ? {
      glue_crawler = {
        principal_arn        = module.iam.glue_crawler_role_arn
        layers               = ["bronze", "silver", "gold"]
        table_permissions    = ["SELECT", "ALTER", "DESCRIBE"]
        database_permissions = ["CREATE_TABLE", "DESCRIBE"]
        data_location_access = true
      }
    } : {},
  )
}

module "athena" {
  source = "./modules/athena"

  name_prefix                    = local.prefix
  results_bucket_id              = module.s3.athena_results_bucket_id
  kms_key_arn                    = module.kms.lake_key_arn
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  force_destroy                  = var.force_destroy
  named_queries                  = local.named_queries
  # Through the glue module's output, so a view is created after its database.
  views = { for n, v in local.athena_views : n => merge(v, { database = module.glue.database_names[v.layer] }) }
}

module "budgets" {
  source = "./modules/budgets"

  enabled                   = var.enable_budgets
  name_prefix               = local.prefix
  monthly_limit_usd         = var.budget_monthly_limit_usd
  alert_thresholds_percent  = [50, 80, 100]
  subscriber_emails         = var.budget_alert_emails
  subscriber_sns_topic_arns = var.budget_alert_topic_arns
  cost_filter_tags          = { Project = var.project, Environment = var.environment }
}
