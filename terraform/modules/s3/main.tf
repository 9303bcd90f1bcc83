# Buckets of one environment. Every bucket: versioning, public access block, BucketOwnerEnforced,
# a TLS >= 1.2 only policy, access logging into the access-logs bucket, lifecycle rules.
# Every bucket but access-logs uses SSE-KMS with a bucket key; S3 server access logging can only
# deliver to an SSE-S3 target, so the access-logs bucket uses AES256.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  purposes = merge(
    { lake = "lake", artifacts = "artifacts", athena_results = "athena-results" },
    var.enable_mwaa_bucket ? { mwaa = "mwaa" } : {},
  )
  bucket_names     = { for k, p in local.purposes : k => "${var.name_prefix}-${p}-${local.account_id}" }
  access_logs_name = "${var.name_prefix}-access-logs-${local.account_id}"
  d                = var.lifecycle_days
}

resource "aws_s3_bucket" "this" {
  for_each = local.bucket_names

  #checkov:skip=CKV_AWS_144:cross-region replication is a per-organisation DR choice, not a default
  #checkov:skip=CKV2_AWS_62:event notifications are wired where needed (landing trigger in the lambda module)
  bucket        = each.value
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = aws_s3_bucket.this

  bucket        = each.value.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${local.purposes[each.key]}/"

  # Log delivery is authorised by the access-logs bucket policy: it must exist first.
  depends_on = [aws_s3_bucket_policy.access_logs]
}

data "aws_iam_policy_document" "tls_only" {
  for_each = local.bucket_names

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      "arn:${local.partition}:s3:::${each.value}",
      "arn:${local.partition}:s3:::${each.value}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyTlsBelow12"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      "arn:${local.partition}:s3:::${each.value}",
      "arn:${local.partition}:s3:::${each.value}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.tls_only[each.key].json

  # The public access block must exist first or S3 may evaluate the policy without it.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# ---- lifecycle ------------------------------------------------------------------------------------
# transition_default_minimum_object_size is pinned to the S3 default so plans stay stable.
resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket                                 = aws_s3_bucket.this["lake"].id
  transition_default_minimum_object_size = "all_storage_classes_128K"

  rule {
    id     = "landing-to-glacier"
    status = "Enabled"
    filter {
      prefix = "landing/"
    }
    transition {
      days          = local.d.landing_to_glacier
      storage_class = "GLACIER"
    }
  }

  rule {
    id     = "bronze-to-glacier"
    status = "Enabled"
    filter {
      prefix = "bronze/"
    }
    transition {
      days          = local.d.bronze_to_glacier
      storage_class = "GLACIER"
    }
  }

  dynamic "rule" {
    # Curated layers stay queryable: intelligent tiering, never Glacier.
    for_each = toset(["silver", "gold"])
    content {
      id     = "${rule.value}-intelligent-tiering"
      status = "Enabled"
      filter {
        prefix = "${rule.value}/"
      }
      transition {
        days          = local.d.intelligent_tiering
        storage_class = "INTELLIGENT_TIERING"
      }
    }
  }

  rule {
    id     = "noncurrent-versions-and-multipart"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = local.d.noncurrent_version_expiry
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = local.d.abort_incomplete_multipart
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "athena_results" {
  bucket                                 = aws_s3_bucket.this["athena_results"].id
  transition_default_minimum_object_size = "all_storage_classes_128K"

  rule {
    id     = "expire-query-results"
    status = "Enabled"
    filter {}
    expiration {
      days = local.d.athena_results_expiry
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = local.d.abort_incomplete_multipart
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "code" {
  # Code buckets: old versions of zips, DAGs and configs expire; current versions are kept.
  for_each = { for k, v in aws_s3_bucket.this : k => v if contains(["artifacts", "mwaa"], k) }

  bucket                                 = each.value.id
  transition_default_minimum_object_size = "all_storage_classes_128K"

  rule {
    id     = "noncurrent-versions-and-multipart"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = local.d.noncurrent_version_expiry
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = local.d.abort_incomplete_multipart
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

# ---- access-logs bucket ---------------------------------------------------------------------------
resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:this is the access-log target; logging it into itself would loop
  #checkov:skip=CKV_AWS_144:cross-region replication is a per-organisation DR choice, not a default
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to SSE-S3 (AES256) target buckets
  #checkov:skip=CKV2_AWS_62:access logs need no event notifications
  bucket        = local.access_logs_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "access_logs" {
  # With BucketOwnerEnforced, log delivery is authorised by this policy (ACLs are off).
  statement {
    sid       = "S3ServerAccessLogsDelivery"
    actions   = ["s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::${local.access_logs_name}/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:s3:::${var.name_prefix}-*-${local.account_id}"]
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      "arn:${local.partition}:s3:::${local.access_logs_name}",
      "arn:${local.partition}:s3:::${local.access_logs_name}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyTlsBelow12"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      "arn:${local.partition}:s3:::${local.access_logs_name}",
      "arn:${local.partition}:s3:::${local.access_logs_name}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket     = aws_s3_bucket.access_logs.id
  policy     = data.aws_iam_policy_document.access_logs.json
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket                                 = aws_s3_bucket.access_logs.id
  transition_default_minimum_object_size = "all_storage_classes_128K"

  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = local.d.access_logs_expiry
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = local.d.abort_incomplete_multipart
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}
