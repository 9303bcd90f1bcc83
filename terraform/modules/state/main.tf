# Pipeline state (watermarks, run locks, landing-file ledger; docs/interfaces.md "State") and the
# secrets the jobs read. Secret values never pass through Terraform: no aws_secretsmanager_secret_version.
resource "aws_dynamodb_table" "state" {
  name                        = "${var.name_prefix}-state"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  # Run locks carry expires_at (epoch seconds) so a crashed run's lock disappears by itself.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

# Delta commit coordination on S3 (S3DynamoDBLogStore, set up by modules/emr_serverless): S3 has no
# put-if-absent for Delta's log, so two job runs committing the same version of one table (the parallel
# extracts all write quarantine.quarantined_rows) would silently lose one commit. Delta's own schema.
resource "aws_dynamodb_table" "delta_log" {
  name                        = "${var.name_prefix}-delta-log"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "tablePath"
  range_key                   = "fileName"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "tablePath"
    type = "S"
  }

  attribute {
    name = "fileName"
    type = "S"
  }

  # Delta sets expireTime once a commit is complete in S3; the entry is then only a cache.
  ttl {
    attribute_name = "expireTime"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

resource "aws_secretsmanager_secret" "this" {
  for_each = var.secret_names

  #checkov:skip=CKV2_AWS_57:third-party credentials are rotated by their owners; no rotation Lambda can reach them
  name                    = "${var.name_prefix}/${each.key}"
  description             = "${each.key} credentials for ${var.name_prefix} jobs (value set outside Terraform)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_in_days
}
