# GitHub Actions through OIDC: no long-lived keys. The plan role reads (never secret values or lake
# data); the apply role deploys this environment's resources, named by the prefix.
locals {
  gh          = var.github
  gh_enabled  = local.gh.enabled
  gh_provider = local.gh_enabled ? (local.gh.create_provider ? aws_iam_openid_connect_provider.github[0].arn : local.gh.provider_arn) : null
  gh_subjects = {
    github_plan  = coalesce(local.gh.plan_subjects, ["repo:${local.gh.repository}:pull_request", "repo:${local.gh.repository}:ref:refs/heads/main"])
    github_apply = coalesce(local.gh.apply_subjects, ["repo:${local.gh.repository}:environment:${var.environment}"])
  }
  gh_roles = local.gh_enabled ? toset(["github_plan", "github_apply"]) : toset([])

  p = local.partition
  # ARNs of what this environment owns, by naming convention.
  own = {
    buckets   = ["arn:${local.p}:s3:::${var.name_prefix}-*"]
    objects   = ["arn:${local.p}:s3:::${var.name_prefix}-*/*"]
    roles     = ["arn:${local.p}:iam::${local.account_id}:role/${var.name_prefix}-*"]
    tables    = ["arn:${local.p}:dynamodb:${local.arn_tail}:table/${var.name_prefix}-*"]
    secrets   = ["arn:${local.p}:secretsmanager:${local.arn_tail}:secret:${var.name_prefix}/*"]
    glue      = concat([local.glue_catalog_arn], local.glue_db_arns, local.glue_table_arns, ["arn:${local.p}:glue:${local.arn_tail}:crawler/${var.name_prefix}-*"])
    athena    = ["arn:${local.p}:athena:${local.arn_tail}:workgroup/${var.name_prefix}-*"]
    logs      = ["arn:${local.p}:logs:${local.arn_tail}:log-group:/aws/emr-serverless/${var.name_prefix}*", "arn:${local.p}:logs:${local.arn_tail}:log-group:/aws/lambda/${var.name_prefix}-*", "arn:${local.p}:logs:${local.arn_tail}:log-group:airflow-${var.name_prefix}-*"]
    alarms    = ["arn:${local.p}:cloudwatch:${local.arn_tail}:alarm:${var.name_prefix}-*", "arn:${local.p}:cloudwatch::${local.account_id}:dashboard/${var.name_prefix}-*"]
    topics    = ["arn:${local.p}:sns:${local.arn_tail}:${var.name_prefix}-*"]
    rules     = ["arn:${local.p}:events:${local.arn_tail}:rule/${var.name_prefix}-*"]
    functions = ["arn:${local.p}:lambda:${local.arn_tail}:function:${var.name_prefix}-*"]
    airflow   = ["arn:${local.p}:airflow:${local.arn_tail}:environment/${var.name_prefix}-*"]
    budgets   = ["arn:${local.p}:budgets::${local.account_id}:budget/${var.name_prefix}-*"]
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = local.gh_enabled && local.gh.create_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's certificate chain itself; the thumbprints are kept for older partitions.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1", "1c58a3a8518e8759bf075b76b750d4f2df264fcd"]
}

data "aws_iam_policy_document" "github_trust" {
  for_each = local.gh_roles

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.gh_provider]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = local.gh_subjects[each.key]
    }
  }
}

resource "aws_iam_role" "github" {
  for_each = local.gh_roles

  name                 = local.role_names[each.key]
  assume_role_policy   = data.aws_iam_policy_document.github_trust[each.key].json
  max_session_duration = 3600
}

# Terraform state: read for plan, read/write for apply; the .tflock object is written by both.
data "aws_iam_policy_document" "github_state" {
  count = local.gh_enabled && local.gh.state_bucket_arn != null ? 1 : 0

  statement {
    sid       = "StateList"
    actions   = ["s3:ListBucket"]
    resources = [local.gh.state_bucket_arn]
  }

  statement {
    sid       = "StateReadWriteAndLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.gh.state_bucket_arn}/${var.environment}/*"]
  }

  dynamic "statement" {
    for_each = local.gh.state_kms_arn != null ? [1] : []
    content {
      sid       = "StateKey"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [local.gh.state_kms_arn]
    }
  }
}

resource "aws_iam_role_policy" "github_state" {
  for_each = local.gh.state_bucket_arn != null ? local.gh_roles : toset([])

  name   = "${local.role_names[each.key]}-state"
  role   = aws_iam_role.github[each.key].id
  policy = data.aws_iam_policy_document.github_state[0].json
}

data "aws_iam_policy_document" "github_plan" {
  count = local.gh_enabled ? 1 : 0

  #checkov:skip=CKV_AWS_356:read-only Describe/Get/List calls that Terraform refresh makes across resource types
  statement {
    sid = "RefreshReadOnly"
    actions = [
      "sts:GetCallerIdentity", "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
      "iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviders", "kms:DescribeKey", "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListResourceTags", "s3:GetBucket*", "s3:GetLifecycleConfiguration",
      "s3:GetEncryptionConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration", "s3:ListBucket",
      "s3:GetIntelligentTieringConfiguration", "s3:GetObjectTagging", "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups",
      "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource", "secretsmanager:DescribeSecret",
      "secretsmanager:GetResourcePolicy", "glue:GetDatabase", "glue:GetTable", "glue:GetTags", "glue:GetCrawler",
      "glue:GetSecurityConfiguration", "glue:GetDataCatalogEncryptionSettings", "lakeformation:GetDataLakeSettings",
      "lakeformation:DescribeResource", "lakeformation:GetLFTag", "lakeformation:GetResourceLFTags",
      "lakeformation:ListPermissions", "lakeformation:GetDataCellsFilter", "athena:GetWorkGroup", "athena:GetNamedQuery",
      "athena:ListTagsForResource", "budgets:ViewBudget", "logs:DescribeLogGroups", "logs:ListTagsForResource",
      "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard", "cloudwatch:ListTagsForResource",
      "sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:GetSubscriptionAttributes", "events:DescribeRule",
      "events:ListTargetsByRule", "events:ListTagsForResource", "lambda:GetFunction", "lambda:GetPolicy",
      "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig", "emr-serverless:GetApplication",
      "emr-serverless:ListTagsForResource", "airflow:GetEnvironment", "quicksight:DescribeDataSource",
      "quicksight:DescribeDataSet", "quicksight:DescribeDashboard", "quicksight:ListTagsForResource",
      "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups",
    ]
    resources = ["*"]
  }

  statement {
    # Uploaded artifacts are refreshed by HeadObject (no lake data).
    sid       = "ArtifactObjects"
    actions   = ["s3:GetObject"]
    resources = concat(["${local.code_arn}/code/*", "${local.code_arn}/contracts/*", "${local.code_arn}/config/*"], var.buckets.mwaa != null ? ["${var.buckets.mwaa}/*"] : [])
  }
}

data "aws_iam_policy_document" "github_apply" {
  count = local.gh_enabled ? 1 : 0

  #checkov:skip=CKV_AWS_356:CreateKey, LF and tag reads have no resource type; others are scoped by name prefix
  #checkov:skip=CKV_AWS_109:the deploy role manages this environment's policies by design (scoped to its name prefix)
  #checkov:skip=CKV_AWS_111:the deploy role writes this environment's resources by design (scoped to its name prefix)
  source_policy_documents = [data.aws_iam_policy_document.github_plan[0].json]

  statement {
    sid = "Buckets"
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucket*", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration",
      "s3:PutEncryptionConfiguration", "s3:PutBucketLogging", "s3:PutBucketNotification", "s3:PutBucketOwnershipControls",
      "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning", "s3:PutBucketTagging", "s3:ListBucketVersions",
    ]
    resources = local.own.buckets
  }

  statement {
    sid       = "Uploads"
    actions   = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObjectVersion"]
    resources = concat(["${local.code_arn}/code/*", "${local.code_arn}/contracts/*", "${local.code_arn}/config/*"], var.buckets.mwaa != null ? ["${var.buckets.mwaa}/*"] : [])
  }

  statement {
    sid       = "CreateKeys"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]
  }

  statement {
    sid       = "ManageOwnKeys"
    actions   = ["kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:ScheduleKeyDeletion", "kms:UpdateKeyDescription", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = ["arn:${local.p}:kms:${local.arn_tail}:key/*", "arn:${local.p}:kms:${local.arn_tail}:alias/${var.name_prefix}-*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "Roles"
    actions   = ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:ListInstanceProfilesForRole"]
    resources = local.own.roles
  }

  statement {
    sid       = "PassOwnRoles"
    actions   = ["iam:PassRole"]
    resources = local.own.roles
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["emr-serverless.amazonaws.com", "lambda.amazonaws.com", "airflow.amazonaws.com", "glue.amazonaws.com", "quicksight.amazonaws.com", "lakeformation.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.p}:iam::${local.account_id}:role/aws-service-role/*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["lakeformation.amazonaws.com", "emr-serverless.amazonaws.com", "airflow.amazonaws.com"]
    }
  }

  statement {
    sid       = "GithubOidcProvider"
    actions   = ["iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:UpdateOpenIDConnectProviderThumbprint", "iam:TagOpenIDConnectProvider"]
    resources = ["arn:${local.p}:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com"]
  }

  statement {
    sid       = "StateTable"
    actions   = ["dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups", "dynamodb:TagResource", "dynamodb:UntagResource"]
    resources = local.own.tables
  }

  statement {
    sid       = "SecretsMetadataOnly"
    actions   = ["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:UpdateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource", "secretsmanager:RestoreSecret"]
    resources = local.own.secrets
  }

  statement {
    sid       = "Catalog"
    actions   = ["glue:CreateDatabase", "glue:UpdateDatabase", "glue:DeleteDatabase", "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:CreateCrawler", "glue:UpdateCrawler", "glue:DeleteCrawler", "glue:TagResource", "glue:UntagResource"]
    resources = local.own.glue
  }

  statement {
    sid       = "CatalogAccountSettings"
    actions   = ["glue:CreateSecurityConfiguration", "glue:DeleteSecurityConfiguration", "glue:PutDataCatalogEncryptionSettings"]
    resources = ["*"]
  }

  statement {
    sid = "LakeFormation"
    actions = [
      "lakeformation:PutDataLakeSettings", "lakeformation:RegisterResource", "lakeformation:DeregisterResource",
      "lakeformation:UpdateResource", "lakeformation:CreateLFTag", "lakeformation:UpdateLFTag", "lakeformation:DeleteLFTag",
      "lakeformation:AddLFTagsToResource", "lakeformation:RemoveLFTagsFromResource", "lakeformation:GrantPermissions",
      "lakeformation:RevokePermissions", "lakeformation:BatchGrantPermissions", "lakeformation:BatchRevokePermissions",
      "lakeformation:CreateDataCellsFilter", "lakeformation:DeleteDataCellsFilter",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "Athena"
    actions   = ["athena:CreateWorkGroup", "athena:UpdateWorkGroup", "athena:DeleteWorkGroup", "athena:TagResource", "athena:UntagResource", "athena:CreateNamedQuery", "athena:DeleteNamedQuery"]
    resources = local.own.athena
  }

  statement {
    sid       = "Budgets"
    actions   = ["budgets:ModifyBudget"]
    resources = local.own.budgets
  }

  statement {
    sid       = "ComputeAndMonitoring"
    actions   = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:PutMetricFilter", "logs:DeleteMetricFilter"]
    resources = local.own.logs
  }

  statement {
    sid       = "AlarmsAndDashboards"
    actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:PutCompositeAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
    resources = local.own.alarms
  }

  statement {
    sid       = "TopicsRulesFunctions"
    actions   = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe", "sns:TagResource", "events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets", "events:TagResource", "lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:AddPermission", "lambda:RemovePermission", "lambda:TagResource"]
    resources = concat(local.own.topics, local.own.rules, local.own.functions)
  }

  statement {
    sid       = "EmrServerlessCreate"
    actions   = ["emr-serverless:CreateApplication", "emr-serverless:TagResource"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "EmrServerlessManage"
    actions   = ["emr-serverless:UpdateApplication", "emr-serverless:DeleteApplication", "emr-serverless:StartApplication", "emr-serverless:StopApplication", "emr-serverless:UntagResource"]
    resources = [local.emr_apps_arn]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "Airflow"
    actions   = ["airflow:CreateEnvironment", "airflow:UpdateEnvironment", "airflow:DeleteEnvironment", "airflow:TagResource", "airflow:UntagResource"]
    resources = local.own.airflow
  }
}

resource "aws_iam_role_policy" "github" {
  for_each = local.gh_roles

  name   = "${local.role_names[each.key]}-deploy"
  role   = aws_iam_role.github[each.key].id
  policy = each.key == "github_plan" ? data.aws_iam_policy_document.github_plan[0].json : data.aws_iam_policy_document.github_apply[0].json
}
