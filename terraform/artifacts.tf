# One apply packages, uploads and wires: the lakehouse package, entry points, job configuration data,
# schema contracts and (with MWAA) the DAGs, each uploaded with a content hash so only what changed
# re-uploads, and a job configuration generated from this apply's values (docs/interfaces.md).
locals {
  emr_jobs_dir = "${local.repo_root}/emr_jobs"
  airflow_dir  = "${local.repo_root}/airflow"
  glue_dir     = "${local.repo_root}/glue"

  emr_log_prefix = "logs/emr/"
  code_root      = "s3://${module.s3.artifacts_bucket_id}/code"
  job_config_key = "config/job_config.json"

  content_types = {
    py   = "text/x-python"
    yaml = "application/yaml"
    yml  = "application/yaml"
    json = "application/json"
    txt  = "text/plain"
    sh   = "text/x-shellscript"
    sql  = "text/plain"
    zip  = "application/zip"
    cfg  = "text/plain"
    ini  = "text/plain"
  }

  # Byte-compiled files are never shipped.
  emr_jobs_files = [for f in fileset(local.emr_jobs_dir, "**") : f if !strcontains(f, "__pycache__") && !endswith(f, ".pyc")]

  # archive_file (1.3.0) excludes exact relative paths: everything beside lakehouse/ and any
  # __pycache__ directory inside it, so the zip holds lakehouse/** (importable with --py-files).
  zip_excludes = distinct(concat(
    [for f in fileset(local.emr_jobs_dir, "**") : split("/", f)[0] if split("/", f)[0] != "lakehouse"],
    [for f in fileset(local.emr_jobs_dir, "lakehouse/**") : regex("^(.*__pycache__)", f)[0] if strcontains(f, "__pycache__")],
  ))

  # s3 key => local file, for the artifacts bucket.
  artifact_files = merge(
    { for f in local.emr_jobs_files : "code/${f}" => "${local.emr_jobs_dir}/${f}" if startswith(f, "entrypoints/") && endswith(f, ".py") && length(split("/", f)) == 2 },
    { for f in local.emr_jobs_files : "code/${f}" => "${local.emr_jobs_dir}/${f}" if startswith(f, "conf/") },
    { for f in fileset(local.glue_dir, "*/*.yaml") : "contracts/${f}" => "${local.glue_dir}/${f}" },
    { for f in fileset(local.glue_dir, "_*.yaml") : "contracts/${f}" => "${local.glue_dir}/${f}" },
  )

  # s3 key => local file, for the MWAA bucket (only when MWAA is on).
  mwaa_files = var.enable_mwaa ? merge(
    { for f in fileset(local.airflow_dir, "dags/**") : f => "${local.airflow_dir}/${f}" if !strcontains(f, "__pycache__") && !endswith(f, ".pyc") },
    { for f in fileset(local.airflow_dir, "{requirements.txt,startup.sh}") : f => "${local.airflow_dir}/${f}" },
    { for f in fileset(local.emr_jobs_dir, "conf/pipeline.yaml") : "dags/config/pipeline.yaml" => "${local.emr_jobs_dir}/${f}" },
  ) : {}

  job_config = {
    environment    = var.environment
    project        = var.project
    region         = var.region
    lake_root      = "s3://${module.s3.lake_bucket_id}"
    artifacts_root = "s3://${module.s3.artifacts_bucket_id}"
    source_mode    = var.source_mode
    state          = { backend = "dynamodb", table = module.state.table_name }
    metrics        = { backend = "cloudwatch", namespace = local.names.metrics_namespace }
    glue_databases = module.glue.database_names
    secrets        = { for k, n in module.state.secret_names : replace(k, "-", "_") => n }
    notifications = {
      critical_topic_arn = module.cloudwatch.critical_topic_arn
      warning_topic_arn  = module.cloudwatch.warning_topic_arn
    }
    emr = {
      application_id     = module.emr_serverless.application_id
      execution_role_arn = module.iam.emr_job_role_arn
      log_uri            = "s3://${module.s3.artifacts_bucket_id}/${local.emr_log_prefix}"
      code_root          = local.code_root
    }
    endpoint_url = var.emulator_endpoint
  }
  job_config_json = jsonencode(local.job_config)

  # contracts/index.json for the landing trigger Lambda (its runtime has no YAML parser): the contracts
  # that declare a landing block, by table, in the shape documented in lambda/landing_trigger/handler.py.
  landing_contracts_index = {
    for f, c in local.contracts : c.table => {
      layer         = c.layer
      source_system = c.source_system
      landing       = c.landing
    } if try(c.landing, null) != null
  }
}

data "archive_file" "lakehouse" {
  type        = "zip"
  source_dir  = "${local.emr_jobs_dir}/" # trailing slash: also walks a symlinked emr_jobs (test copies)
  excludes    = local.zip_excludes
  output_path = "${local.repo_root}/build/lakehouse.zip"
}

resource "aws_s3_object" "lakehouse_zip" {
  bucket                 = module.s3.artifacts_bucket_id
  key                    = "code/lakehouse.zip"
  source                 = data.archive_file.lakehouse.output_path
  source_hash            = data.archive_file.lakehouse.output_md5
  content_type           = "application/zip"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.kms.lake_key_arn
}

resource "aws_s3_object" "artifacts" {
  for_each = local.artifact_files

  bucket                 = module.s3.artifacts_bucket_id
  key                    = each.key
  source                 = each.value
  source_hash            = filemd5(each.value)
  content_type           = lookup(local.content_types, reverse(split(".", each.key))[0], "application/octet-stream")
  server_side_encryption = "aws:kms"
  kms_key_id             = module.kms.lake_key_arn
}

resource "aws_s3_object" "job_config" {
  bucket                 = module.s3.artifacts_bucket_id
  key                    = local.job_config_key
  content                = local.job_config_json
  content_type           = "application/json"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.kms.lake_key_arn
}

resource "aws_s3_object" "contracts_index" {
  bucket                 = module.s3.artifacts_bucket_id
  key                    = "contracts/index.json"
  content                = jsonencode(local.landing_contracts_index)
  content_type           = "application/json"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.kms.lake_key_arn
}

resource "aws_s3_object" "mwaa" {
  for_each = local.mwaa_files

  bucket                 = module.s3.mwaa_bucket_id
  key                    = each.key
  source                 = each.value
  source_hash            = filemd5(each.value)
  content_type           = lookup(local.content_types, reverse(split(".", each.key))[0], "application/octet-stream")
  server_side_encryption = "aws:kms"
  kms_key_id             = module.kms.lake_key_arn
}

resource "aws_s3_object" "mwaa_job_config" {
  count = var.enable_mwaa ? 1 : 0

  bucket                 = module.s3.mwaa_bucket_id
  key                    = "dags/config/job_config.json"
  content                = local.job_config_json
  content_type           = "application/json"
  server_side_encryption = "aws:kms"
  kms_key_id             = module.kms.lake_key_arn
}

locals {
  # For the MWAA environment (compute.tf): paths and the object versions MWAA pins.
  mwaa_artifacts = {
    dags_s3_path                     = "dags/"
    requirements_s3_path             = try(aws_s3_object.mwaa["requirements.txt"].key, null)
    requirements_s3_object_version   = try(aws_s3_object.mwaa["requirements.txt"].version_id, null)
    startup_script_s3_path           = try(aws_s3_object.mwaa["startup.sh"].key, null)
    startup_script_s3_object_version = try(aws_s3_object.mwaa["startup.sh"].version_id, null)
    job_config_uri                   = "s3://${module.s3.artifacts_bucket_id}/${local.job_config_key}"
    lakehouse_zip_uri                = "${local.code_root}/lakehouse.zip"
    entrypoint_root                  = "${local.code_root}/entrypoints"
  }
}
