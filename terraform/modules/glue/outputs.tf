output "database_names" {
  description = "Glue database names by layer."
  value       = { for l, d in aws_glue_catalog_database.this : l => d.name }
}

output "table_names" {
  description = "Every contract table as \"<layer>.<table>\"."
  value       = sort([for k, t in local.tables : "${t.layer}.${t.table}"])
}

output "tables" {
  description = "Tables by \"<layer>/<table>\": database, name, domain, sensitivity and PII column names (for Lake Formation)."
  value = {
    for k, t in local.tables : k => {
      database    = aws_glue_catalog_table.this[k].database_name
      name        = aws_glue_catalog_table.this[k].name
      layer       = t.layer
      domain      = t.domain
      sensitivity = t.sensitivity
      pii_columns = [for col in t.all_columns : col.name if col.pii]
    }
  }
}

output "security_configuration_name" {
  description = "Name of the Glue security configuration (KMS for crawler logs, bookmarks and S3)."
  value       = try(aws_glue_security_configuration.this.name, null)
}

output "crawler_names" {
  description = "Delta crawler names by layer (empty when crawlers are disabled)."
  value       = { for l, c in aws_glue_crawler.delta : l => c.name }
}
