output "lf_tag_keys" {
  description = "LF-tag keys: domain, sensitivity, layer."
  value = {
    domain      = try(aws_lakeformation_lf_tag.domain.key, null)
    sensitivity = try(aws_lakeformation_lf_tag.sensitivity.key, null)
    layer       = try(aws_lakeformation_lf_tag.layer.key, null)
  }
}

output "registered_location_arn" {
  description = "ARN of the lake location registered with Lake Formation."
  value       = try(aws_lakeformation_resource.lake.arn, null)
}

output "pii_access_mode" {
  description = "How exclude_pii principals see tables with PII columns: columns (column grants), filter (data-cells filters) or withheld (no SELECT)."
  value       = local.pii_mode
}

output "withheld_tables" {
  description = "Grant/table pairs whose SELECT is withheld because the table has PII columns and neither column grants nor filters are enabled."
  value       = sort([for k, g in local.table_grants : k if g.mode == "withheld" && contains(g.permissions, "SELECT")])
}
