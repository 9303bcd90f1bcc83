# Three customer-managed keys with separate blast radius: lake data (S3, Glue, Athena, EMR, MWAA),
# operational logs and notifications (CloudWatch Logs, SNS), secrets and state (Secrets Manager, DynamoDB).
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"

  # Services that use a key on behalf of a caller in this account (the caller also needs IAM permission).
  via_services = {
    lake = ["s3", "glue", "athena", "emr-serverless", "sqs", "airflow", "lakeformation"]
    logs = ["logs", "sns"]
    # lambda: the functions' environment variables are encrypted with this key; the function's role
    # decrypts them through Lambda at cold start (its IAM policy grants kms:Decrypt on this key).
    secrets = ["secretsmanager", "dynamodb", "ssm", "lambda"]
  }

  descriptions = {
    lake    = "Lake data: S3 buckets, Glue catalog, Athena results, EMR Serverless, MWAA"
    logs    = "Operational logs and alerts: CloudWatch Logs, SNS topics"
    secrets = "Secrets and pipeline state: Secrets Manager, DynamoDB, Lambda environment variables"
  }

  admin_actions = [
    "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:DeleteAlias", "kms:DescribeKey",
    "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation", "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
    "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:RetireGrant", "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
    "kms:UpdateKeyDescription", "kms:RotateKeyOnDemand",
  ]
  use_actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"]

  log_group_arns = [for p in var.log_group_name_patterns : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${p}"]
}

data "aws_iam_policy_document" "key" {
  for_each = local.descriptions

  #checkov:skip=CKV_AWS_109:a key policy's Resource "*" means this key only
  #checkov:skip=CKV_AWS_111:a key policy's Resource "*" means this key only
  #checkov:skip=CKV_AWS_356:a key policy's Resource "*" means this key only

  # The account keeps administration so IAM policies (least privilege, per role) can grant use.
  statement {
    sid       = "AccountAdministration"
    actions   = local.admin_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = concat([local.root_arn], var.key_administrator_arns)
    }
  }

  statement {
    sid       = "AccountUseThroughIAM"
    actions   = local.use_actions
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = [for s in local.via_services[each.key] : "${s}.${local.region}.amazonaws.com"]
    }
  }

  # Services that act as themselves (grants for DynamoDB/Secrets Manager come from the caller).
  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []
    content {
      sid       = "CloudWatchLogsEncryptNamedLogGroups"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }
      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = local.log_group_arns
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []
    content {
      sid       = "AlarmAndEventPublishersToEncryptedTopics"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com", "budgets.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }

  # MWAA's CloudWatch log groups (airflow-<env>-*) are encrypted with the lake key that the
  # environment uses, so the Logs service needs the same encryption-context-bound grant here.
  dynamic "statement" {
    for_each = each.key == "lake" ? [1] : []
    content {
      sid       = "CloudWatchLogsForAirflowAndEmrLogGroups"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }
      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = local.log_group_arns
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.descriptions

  description             = "${var.name_prefix} ${each.key}: ${each.value}"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key[each.key].json
}

resource "aws_kms_alias" "this" {
  for_each = local.descriptions

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
