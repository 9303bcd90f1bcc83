# Contract of modules/s3: every bucket encrypted (SSE-KMS with the given key, bucket key on; the
# access-logs bucket SSE-S3 because S3 log delivery accepts nothing else), versioned, public access
# blocked, owner-enforced, TLS >= 1.2 only, logged, with lifecycle rules.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:role/terraform" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name_prefix        = "lakehouse-test"
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  enable_mwaa_bucket = true
}

run "every_bucket_is_encrypted_versioned_private_and_tls_only" {
  command = plan

  module {
    source = "./modules/s3"
  }

  assert {
    condition     = length(aws_s3_bucket.this) == 4 && aws_s3_bucket.access_logs.bucket == "lakehouse-test-access-logs-123456789012"
    error_message = "expected lake, artifacts, athena_results, mwaa and the access-logs bucket"
  }

  assert {
    condition     = alltrue([for k, b in aws_s3_bucket.this : b.bucket == "lakehouse-test-${replace(k, "_", "-")}-123456789012"])
    error_message = "bucket names must be <prefix>-<purpose>-<account_id> (docs/interfaces.md)"
  }

  assert {
    condition = alltrue([for k, _ in aws_s3_bucket.this : (
      one(aws_s3_bucket_server_side_encryption_configuration.this[k].rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
      one(aws_s3_bucket_server_side_encryption_configuration.this[k].rule).apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn &&
      one(aws_s3_bucket_server_side_encryption_configuration.this[k].rule).bucket_key_enabled
    )])
    error_message = "every data bucket must use SSE-KMS with the given key and a bucket key"
  }

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.access_logs.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "the access-logs bucket must be SSE-S3 (S3 server access logging refuses SSE-KMS targets)"
  }

  assert {
    condition = alltrue(concat(
      [for k, _ in aws_s3_bucket.this : aws_s3_bucket_versioning.this[k].versioning_configuration[0].status == "Enabled"],
      [aws_s3_bucket_versioning.access_logs.versioning_configuration[0].status == "Enabled"],
    ))
    error_message = "every bucket must be versioned"
  }

  assert {
    condition = alltrue([for p in concat(values(aws_s3_bucket_public_access_block.this), [aws_s3_bucket_public_access_block.access_logs]) :
    p.block_public_acls && p.block_public_policy && p.ignore_public_acls && p.restrict_public_buckets])
    error_message = "every bucket must block all public access"
  }

  assert {
    condition = alltrue([for o in concat(values(aws_s3_bucket_ownership_controls.this), [aws_s3_bucket_ownership_controls.access_logs]) :
    o.rule[0].object_ownership == "BucketOwnerEnforced"])
    error_message = "every bucket must be BucketOwnerEnforced (ACLs off)"
  }

  assert {
    condition = alltrue([for d in concat(values(data.aws_iam_policy_document.tls_only), [data.aws_iam_policy_document.access_logs]) :
      length([for s in d.statement : s if s.effect == "Deny" && contains(s.actions, "s3:*") && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && c.test == "Bool" && contains(c.values, "false")])]) == 1 &&
      length([for s in d.statement : s if s.effect == "Deny" && contains(s.actions, "s3:*") && anytrue([for c in s.condition : c.variable == "s3:TlsVersion" && c.test == "NumericLessThan" && contains(c.values, "1.2")])]) == 1
    ])
    error_message = "every bucket policy must deny non-TLS requests and TLS below 1.2"
  }

  assert {
    condition     = length(aws_s3_bucket_policy.this) == length(aws_s3_bucket.this)
    error_message = "every data bucket must carry its TLS-only policy"
  }

  assert {
    condition     = alltrue([for k, _ in aws_s3_bucket.this : aws_s3_bucket_logging.this[k].target_prefix == "${replace(k, "_", "-")}/"])
    error_message = "every data bucket must log access into the access-logs bucket under <purpose>/"
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.access_logs.statement : contains(s.actions, "s3:PutObject") && anytrue([for p in s.principals : contains(p.identifiers, "logging.s3.amazonaws.com")])])
    error_message = "the access-logs bucket policy must let logging.s3.amazonaws.com deliver logs"
  }

  assert {
    condition = (
      toset(flatten([for r in aws_s3_bucket_lifecycle_configuration.lake.rule : [for t in r.transition : "${r.id}:${t.storage_class}"]])) == toset([
        "landing-to-glacier:GLACIER", "bronze-to-glacier:GLACIER", "silver-intelligent-tiering:INTELLIGENT_TIERING", "gold-intelligent-tiering:INTELLIGENT_TIERING",
      ]) &&
      length([for r in aws_s3_bucket_lifecycle_configuration.lake.rule : r.id if length(r.noncurrent_version_expiration) == 1 && length(r.abort_incomplete_multipart_upload) == 1]) == 1
    )
    error_message = "lake lifecycle: Glacier for landing/bronze, intelligent tiering for silver/gold, noncurrent expiry and multipart abort"
  }
}

run "mwaa_bucket_only_when_enabled" {
  command = plan

  module {
    source = "./modules/s3"
  }

  variables {
    enable_mwaa_bucket = false
  }

  assert {
    condition     = !contains(keys(aws_s3_bucket.this), "mwaa") && output.mwaa_bucket_id == null
    error_message = "no MWAA bucket when enable_mwaa_bucket is false"
  }
}

run "a_key_that_is_not_a_kms_arn_is_refused" {
  command = plan

  module {
    source = "./modules/s3"
  }

  variables {
    kms_key_arn = "alias/lake"
  }

  expect_failures = [var.kms_key_arn]
}
