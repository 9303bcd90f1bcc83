# Roles of the platform, each with only what its job needs: lake prefixes not whole buckets, named
# secrets, the state table, named log groups; iam:PassRole only to the named service.
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  arn_tail   = "${local.region}:${local.account_id}"

  layers      = ["landing", "bronze", "silver", "gold", "quarantine", "audit", "checkpoints"]
  lake_arn    = var.buckets.lake
  code_arn    = var.buckets.artifacts
  results_arn = var.buckets.athena_results

  glue_catalog_arn = "arn:${local.partition}:glue:${local.arn_tail}:catalog"
  glue_db_arns     = [for l, d in var.names.glue_databases : "arn:${local.partition}:glue:${local.arn_tail}:database/${d}"]
  glue_table_arns  = [for l, d in var.names.glue_databases : "arn:${local.partition}:glue:${local.arn_tail}:table/${d}/*"]

  topic_arns = { for k, n in var.names.topics : k => "arn:${local.partition}:sns:${local.arn_tail}:${n}" }
  # Runtime roles act on this environment's application only; job-run actions authorise on its runs.
  emr_apps_arn    = "arn:${local.partition}:emr-serverless:${local.arn_tail}:/applications/*"
  emr_app_arn     = var.emr_application_arn
  emr_run_arn     = "${var.emr_application_arn}/jobruns/*"
  emr_log_group   = "arn:${local.partition}:logs:${local.arn_tail}:log-group:${var.names.emr_log_group}"
  lambda_log_arns = { for k, fn in var.names.lambda_functions : k => "arn:${local.partition}:logs:${local.arn_tail}:log-group:/aws/lambda/${fn}" }
  mwaa_env_arn    = "arn:${local.partition}:airflow:${local.arn_tail}:environment/${var.names.mwaa_environment}"
  mwaa_log_groups = "arn:${local.partition}:logs:${local.arn_tail}:log-group:airflow-${var.names.mwaa_environment}-*"
  workgroup_arn   = "arn:${local.partition}:athena:${local.arn_tail}:workgroup/${var.names.athena_workgroup}"

  # Only this platform's EMR application: it carries the provider default_tags.
  abac_tags = { Project = var.project, Environment = var.environment }

  roles = merge(
    {
      emr_job          = "emr-serverless.amazonaws.com"
      landing_trigger  = "lambda.amazonaws.com"
      failure_notifier = "lambda.amazonaws.com"
      # Registers the lake location with Lake Formation (modules/lakeformation): the service-linked role
      # cannot use the lake's customer-managed key, so vended credentials could not decrypt the data.
      lakeformation_registration = "lakeformation.amazonaws.com"
    },
    var.enable_mwaa ? { mwaa = "airflow.amazonaws.com" } : {},
    var.enable_glue_crawler ? { glue_crawler = "glue.amazonaws.com" } : {},
  )
  role_names = {
    emr_job                    = "${var.name_prefix}-emr-job"
    landing_trigger            = "${var.name_prefix}-landing-trigger"
    failure_notifier           = "${var.name_prefix}-failure-notifier"
    mwaa                       = "${var.name_prefix}-mwaa-execution"
    glue_crawler               = "${var.name_prefix}-glue-crawler"
    lakeformation_registration = "${var.name_prefix}-lf-registration"
    analyst                    = "${var.name_prefix}-analyst"
    github_plan                = "${var.name_prefix}-github-plan"
    github_apply               = "${var.name_prefix}-github-apply"
  }
  emr_job_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${local.role_names.emr_job}"
}

# ---- service roles: trust ----------------------------------------------------------------------
data "aws_iam_policy_document" "service_trust" {
  for_each = local.roles

  statement {
    # (no sts:SetContext for the Lake Formation role: it is only for IAM Identity Center users, unused here)
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = each.key == "mwaa" ? ["airflow.amazonaws.com", "airflow-env.amazonaws.com"] : [each.value]
    }
    # Confused-deputy guard: only this account's service resources may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "service" {
  for_each = local.roles

  name                 = local.role_names[each.key]
  assume_role_policy   = data.aws_iam_policy_document.service_trust[each.key].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "service" {
  for_each = local.roles

  name = "${local.role_names[each.key]}-access"
  role = aws_iam_role.service[each.key].id
  policy = {
    emr_job                    = try(data.aws_iam_policy_document.emr_job.json, null)
    landing_trigger            = try(data.aws_iam_policy_document.landing_trigger.json, null)
    failure_notifier           = try(data.aws_iam_policy_document.failure_notifier.json, null)
    mwaa                       = try(data.aws_iam_policy_document.mwaa[0].json, null)
    glue_crawler               = try(data.aws_iam_policy_document.glue_crawler[0].json, null)
    lakeformation_registration = try(data.aws_iam_policy_document.lakeformation_registration.json, null)
  }[each.key]
}

# ---- EMR Serverless job runtime ------------------------------------------------------------------
data "aws_iam_policy_document" "emr_job" {
  statement {
    sid       = "LakeReadLanding"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.lake_arn}/landing/*"]
  }

  statement {
    sid       = "LakeReadWriteLayers"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = [for l in local.layers : "${local.lake_arn}/${l}/*" if l != "landing"]
  }

  statement {
    sid       = "LakeListLayers"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.lake_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = concat([for l in local.layers : "${l}/*"], local.layers, [""])
    }
  }

  statement {
    sid     = "CodeAndConfigRead"
    actions = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [
      "${local.code_arn}/code/*", "${local.code_arn}/contracts/*", "${local.code_arn}/config/*",
    ]
  }

  statement {
    sid       = "JobLogsWrite"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${local.code_arn}/${var.emr_log_prefix}*"]
  }

  statement {
    sid       = "ArtifactsList"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.code_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["code/*", "contracts/*", "config/*", "${var.emr_log_prefix}*"]
    }
  }

  statement {
    sid = "GlueCatalogReadWrite"
    actions = [
      "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetTableVersions",
      "glue:CreateTable", "glue:UpdateTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition",
      "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:DeletePartition",
      "glue:BatchDeletePartition",
    ]
    resources = concat([local.glue_catalog_arn], local.glue_db_arns, local.glue_table_arns)
  }

  statement {
    # Spark's Glue catalog client looks up the "default" database at start-up and creates it when the
    # account has none (a fresh account or region).
    sid       = "GlueDefaultDatabase"
    actions   = ["glue:GetDatabase", "glue:CreateDatabase"]
    resources = [local.glue_catalog_arn, "arn:${local.partition}:glue:${local.arn_tail}:database/default"]
  }

  dynamic "statement" {
    # S3DynamoDBLogStore: reads the table's shape, looks up and conditionally puts commit entries
    for_each = var.delta_log_table_arn == null ? [] : [var.delta_log_table_arn]
    content {
      sid       = "DeltaCommitCoordination"
      actions   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
      resources = [statement.value]
    }
  }

  statement {
    sid       = "StateTable"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"]
    resources = [var.state_table_arn]
  }

  statement {
    sid       = "SourceSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [for k, a in var.secret_arns : a if k != "slack-webhook"]
  }

  statement {
    sid       = "Keys"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arns.lake, var.kms_key_arns.secrets, var.kms_key_arns.logs]
  }

  statement {
    sid       = "JobLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [local.emr_log_group, "${local.emr_log_group}:*"]
  }

  statement {
    sid       = "DescribeLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${local.arn_tail}:log-group:*"]
  }

  statement {
    sid       = "Metrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource type; the namespace condition scopes it
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }

  statement {
    sid       = "Alerts"
    actions   = ["sns:Publish"]
    resources = values(local.topic_arns)
  }

  statement {
    # lakehouse.dq.alerts: a critical DQ failure, routed to the failure notifier (modules/cloudwatch dq_failed)
    sid       = "DqFailureEvents"
    actions   = ["events:PutEvents"]
    resources = ["arn:${local.partition}:events:${local.arn_tail}:event-bus/default"]
  }

  statement {
    sid       = "LakeFormationCredentialVending"
    actions   = ["lakeformation:GetDataAccess"]
    resources = ["*"] # GetDataAccess has no resource type; Lake Formation grants decide what is vended
  }
}

# ---- Lambda: landing-file trigger ----------------------------------------------------------------
data "aws_iam_policy_document" "landing_trigger" {
  statement {
    # Active tracing (modules/lambda tracing_mode): Lambda refuses to create the function without these.
    # X-Ray has no resource types.
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.lambda_log_arns["landing_trigger"]}:*"]
  }

  statement {
    sid       = "LandingRead"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.lake_arn}/landing/*"]
  }

  statement {
    # The landing contract index and the StartJobRun configuration overrides, nothing else.
    sid       = "ContractIndexAndRunConfigRead"
    actions   = ["s3:GetObject"]
    resources = ["${local.code_arn}/contracts/index.json", "${local.code_arn}/${var.emr_configuration_overrides_key}"]
  }

  statement {
    sid       = "LandingLedger"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [var.state_table_arn]
  }

  statement {
    sid       = "StartIngestRun"
    actions   = ["emr-serverless:StartJobRun"]
    resources = [local.emr_app_arn]
    dynamic "condition" {
      for_each = local.abac_tags
      content {
        test     = "StringEquals"
        variable = "aws:ResourceTag/${condition.key}"
        values   = [condition.value]
      }
    }
  }

  statement {
    sid       = "PassJobRole"
    actions   = ["iam:PassRole"]
    resources = [local.emr_job_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["emr-serverless.amazonaws.com"]
    }
  }

  statement {
    sid       = "WarnOnRejectedFile"
    actions   = ["sns:Publish"]
    resources = [local.topic_arns["warning"]]
  }

  statement {
    sid       = "Keys"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arns.lake, var.kms_key_arns.secrets, var.kms_key_arns.logs]
  }
}

# ---- Lambda: failure notifier ----------------------------------------------------------------------
data "aws_iam_policy_document" "failure_notifier" {
  statement {
    # Active tracing (modules/lambda tracing_mode): Lambda refuses to create the function without these.
    # X-Ray has no resource types.
    sid       = "XRayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.lambda_log_arns["failure_notifier"]}:*"]
  }

  statement {
    sid       = "CriticalTopic"
    actions   = ["sns:Publish"]
    resources = [local.topic_arns["critical"]]
  }

  statement {
    sid       = "SlackWebhook"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for k, a in var.secret_arns : a if k == "slack-webhook"]
  }

  statement {
    sid       = "FailedRunDetails"
    actions   = ["emr-serverless:GetJobRun", "emr-serverless:GetDashboardForJobRun"]
    resources = [local.emr_run_arn]
  }

  statement {
    sid       = "Keys"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arns.secrets, var.kms_key_arns.logs]
  }
}

# ---- MWAA execution --------------------------------------------------------------------------------
data "aws_iam_policy_document" "mwaa" {
  count = var.enable_mwaa ? 1 : 0

  statement {
    sid       = "PublishMetrics"
    actions   = ["airflow:PublishMetrics"]
    resources = [local.mwaa_env_arn]
  }

  statement {
    sid       = "DagBucketRead"
    actions   = ["s3:GetObject*", "s3:GetBucket*", "s3:ListBucket"]
    resources = [var.buckets.mwaa, "${var.buckets.mwaa}/*"]
  }

  statement {
    # MWAA checks the account-level public access block before it uses the bucket.
    sid       = "AccountPublicAccessBlock"
    actions   = ["s3:GetAccountPublicAccessBlock"]
    resources = ["*"]
  }

  statement {
    sid       = "JobConfigRead"
    actions   = ["s3:GetObject"]
    resources = ["${local.code_arn}/config/*", "${local.code_arn}/code/conf/*"]
  }

  statement {
    sid       = "AirflowLogs"
    actions   = ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents", "logs:GetLogEvents", "logs:GetLogRecord", "logs:GetLogGroupFields", "logs:GetQueryResults"]
    resources = [local.mwaa_log_groups, "${local.mwaa_log_groups}:*"]
  }

  statement {
    sid       = "DescribeLogGroups"
    actions   = ["logs:DescribeLogGroups"]
    resources = ["arn:${local.partition}:logs:${local.arn_tail}:log-group:*"]
  }

  statement {
    # PutMetricData has no resource type; the namespaces scope it: MWAA's own environment metrics and
    # the pipeline metrics the DAG callbacks publish.
    sid       = "Metrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["AmazonMWAA", var.metrics_namespace]
    }
  }

  statement {
    sid       = "Alerts"
    actions   = ["sns:Publish"]
    resources = values(local.topic_arns)
  }

  statement {
    sid       = "SlackWebhook"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for k, a in var.secret_arns : a if k == "slack-webhook"]
  }

  statement {
    # Encrypted topics (logs key) and the Slack secret (secrets key), only through those services.
    sid       = "AlertKeys"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arns.logs, var.kms_key_arns.secrets]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com", "secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "CeleryQueues"
    actions   = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"]
    resources = ["arn:${local.partition}:sqs:${local.region}:*:airflow-celery-*"]
  }

  statement {
    sid       = "Keys"
    actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"]
    resources = [var.kms_key_arns.lake]
    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["sqs.${local.region}.amazonaws.com", "s3.${local.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "RunJobs"
    actions   = ["emr-serverless:GetApplication", "emr-serverless:StartApplication", "emr-serverless:StartJobRun", "emr-serverless:ListJobRuns"]
    resources = [local.emr_app_arn]
    dynamic "condition" {
      for_each = local.abac_tags
      content {
        test     = "StringEquals"
        variable = "aws:ResourceTag/${condition.key}"
        values   = [condition.value]
      }
    }
  }

  statement {
    # Job runs carry no tags of their own: they are scoped by the application ARN they live under.
    sid       = "WatchJobRuns"
    actions   = ["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"]
    resources = [local.emr_run_arn]
  }

  statement {
    sid       = "PassJobRole"
    actions   = ["iam:PassRole"]
    resources = [local.emr_job_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["emr-serverless.amazonaws.com"]
    }
  }

  statement {
    sid       = "StateRead"
    actions   = ["dynamodb:GetItem", "dynamodb:Query"]
    resources = [var.state_table_arn]
  }

  statement {
    sid       = "StateKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arns.secrets]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["dynamodb.${local.region}.amazonaws.com"]
    }
  }
}

# ---- Glue crawler ------------------------------------------------------------------------------------
data "aws_iam_policy_document" "glue_crawler" {
  count = var.enable_glue_crawler ? 1 : 0

  statement {
    sid       = "CuratedLayersRead"
    actions   = ["s3:GetObject"]
    resources = [for l in ["bronze", "silver", "gold"] : "${local.lake_arn}/${l}/*"]
  }

  statement {
    sid       = "CuratedLayersList"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["bronze/*", "silver/*", "gold/*"]
    }
  }

  statement {
    sid       = "Catalog"
    actions   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:UpdateTable", "glue:CreateTable", "glue:GetPartitions", "glue:BatchGetPartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:GetSecurityConfiguration"]
    resources = concat([local.glue_catalog_arn], local.glue_db_arns, local.glue_table_arns)
  }

  statement {
    sid       = "CrawlerLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"]
    resources = ["arn:${local.partition}:logs:${local.arn_tail}:log-group:/aws-glue/crawlers*"]
  }

  statement {
    sid       = "Keys"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:DescribeKey"]
    resources = [var.kms_key_arns.lake, var.kms_key_arns.logs]
  }

  statement {
    sid       = "LakeFormationCredentialVending"
    actions   = ["lakeformation:GetDataAccess"]
    resources = ["*"] # no resource type; Lake Formation grants decide
  }
}

# ---- Lake Formation location registration -------------------------------------------------------------
# Lake Formation assumes this role to vend temporary credentials for the registered lake bucket to
# Athena, QuickSight, EMR and Glue: read/write on the lake bucket and use of the lake key, nothing else.
data "aws_iam_policy_document" "lakeformation_registration" {
  statement {
    sid       = "LakeObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.lake_arn}/*"]
  }

  statement {
    sid       = "LakeList"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]
  }

  statement {
    # The lake bucket is SSE-KMS with the lake key; only through S3, as the key policy also requires.
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arns.lake]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

# ---- analyst (Athena, QuickSight) --------------------------------------------------------------------
data "aws_iam_policy_document" "analyst_trust" {
  count = var.enable_analyst ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = length(var.analyst_trusted_principal_arns) > 0 ? var.analyst_trusted_principal_arns : ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["quicksight.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "analyst" {
  count = var.enable_analyst ? 1 : 0

  statement {
    sid = "Workgroup"
    actions = [
      "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
      "athena:GetQueryResultsStream", "athena:BatchGetQueryExecution", "athena:ListQueryExecutions", "athena:GetWorkGroup",
      "athena:ListNamedQueries", "athena:GetNamedQuery", "athena:BatchGetNamedQuery",
    ]
    resources = [local.workgroup_arn]
  }

  statement {
    sid     = "CatalogRead"
    actions = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
    resources = concat(
      [local.glue_catalog_arn],
      [for l in var.analyst_layers : "arn:${local.partition}:glue:${local.arn_tail}:database/${var.names.glue_databases[l]}"],
      [for l in var.analyst_layers : "arn:${local.partition}:glue:${local.arn_tail}:table/${var.names.glue_databases[l]}/*"],
    )
  }

  statement {
    sid       = "ResultsReadWrite"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${local.results_arn}/${var.names.athena_workgroup}/*"]
  }

  statement {
    sid       = "ResultsBucket"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket"]
    resources = [local.results_arn]
  }

  statement {
    sid       = "Keys"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arns.lake]
  }

  statement {
    sid       = "LakeFormationCredentialVending"
    actions   = ["lakeformation:GetDataAccess"]
    resources = ["*"] # no resource type; column/row access is decided by Lake Formation grants
  }
}

resource "aws_iam_role" "analyst" {
  count = var.enable_analyst ? 1 : 0

  name                 = local.role_names.analyst
  assume_role_policy   = data.aws_iam_policy_document.analyst_trust[0].json
  max_session_duration = 14400
}

resource "aws_iam_role_policy" "analyst" {
  count = var.enable_analyst ? 1 : 0

  name   = "${local.role_names.analyst}-access"
  role   = aws_iam_role.analyst[0].id
  policy = data.aws_iam_policy_document.analyst[0].json
}
