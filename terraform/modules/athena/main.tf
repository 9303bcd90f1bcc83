# The analytics workgroup: enforced settings (clients cannot turn off encryption or the scan cutoff),
# SSE-KMS results in the results bucket, CloudWatch metrics; named queries from athena_sql/.
data "aws_caller_identity" "current" {}

resource "aws_athena_workgroup" "this" {
  name          = "${var.name_prefix}-analytics"
  description   = "Analyst queries over the ${var.name_prefix} lakehouse"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    result_configuration {
      output_location       = "s3://${var.results_bucket_id}/${var.name_prefix}-analytics/"
      expected_bucket_owner = data.aws_caller_identity.current.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each = var.named_queries

  name        = each.key
  workgroup   = aws_athena_workgroup.this.id
  database    = each.value.database
  query       = each.value.query
  description = each.value.description
}
