locals {
  # Contract (Hive) types to QuickSight input column types; decimal(p,s) is matched by prefix.
  type_map = { string = "STRING", int = "INTEGER", bigint = "INTEGER", smallint = "INTEGER", double = "DECIMAL", float = "DECIMAL", date = "DATETIME", timestamp = "DATETIME", boolean = "BOOLEAN" }

  contract_columns = { for t, c in var.gold_contracts : t => { for col in c.columns : col.name => col } }

  all_datasets = {
    for d in var.dataset_definitions : d.id => {
      table       = d.table
      description = d.description
      import_mode = d.import_mode
      columns = [for name in d.columns : {
        name = name
        type = try(local.contract_columns[d.table][name].type, null) == null ? null : (
          startswith(local.contract_columns[d.table][name].type, "decimal") ? "DECIMAL" : lookup(local.type_map, local.contract_columns[d.table][name].type, null)
        )
        pii = try(local.contract_columns[d.table][name].pii, false) == true
      }]
    }
  }
  # Problems found in the definitions, reported by the data sets' precondition.
  dataset_errors = flatten([for id, d in local.all_datasets : concat(
    contains(keys(var.gold_contracts), d.table) ? [] : ["${id}: table ${d.table} has no gold schema contract"],
    [for c in d.columns : "${id}: column ${c.name} is not in the ${d.table} contract or has an unsupported type" if c.type == null && contains(keys(var.gold_contracts), d.table)],
    [for c in d.columns : "${id}: column ${c.name} is PII" if c.pii],
  )])

  datasets = var.enabled ? local.all_datasets : {}
  sheets   = var.enabled && var.dashboard != null ? var.dashboard.sheets : []

  # Column types by data set, to choose numeric or categorical measure fields.
  column_types = { for k, d in local.all_datasets : k => { for c in d.columns : c.name => c.type } }
  numeric      = ["INTEGER", "DECIMAL"]

  visual_refs = flatten([for s in local.sheets : [for v in s.visuals : concat(
    [{ visual = v.id, dataset = v.dataset, column = null }],
    [for c in concat([for d in v.dimensions : d.column], [for m in v.measures : m.column]) : { visual = v.id, dataset = v.dataset, column = c }],
  )]])
  bad_refs = [for r in local.visual_refs : "${r.visual}: ${r.dataset}${r.column == null ? "" : ".${r.column}"}"
  if !contains(keys(local.all_datasets), r.dataset) || (r.column != null && !contains(keys(try(local.column_types[r.dataset], {})), coalesce(r.column, "-")))]

  data_source_actions = ["quicksight:DescribeDataSource", "quicksight:DescribeDataSourcePermissions", "quicksight:PassDataSource"]
  data_set_actions    = ["quicksight:DescribeDataSet", "quicksight:DescribeDataSetPermissions", "quicksight:PassDataSet", "quicksight:DescribeIngestion", "quicksight:ListIngestions"]
  dashboard_actions   = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"]
}

resource "aws_quicksight_data_source" "athena" {
  count = var.enabled ? 1 : 0

  data_source_id = "${var.name_prefix}-athena"
  name           = "${var.name_prefix} Athena (gold)"
  type           = "ATHENA"

  parameters {
    athena {
      work_group = var.athena_workgroup_name
    }
  }

  ssl_properties {
    disable_ssl = false
  }

  dynamic "permission" {
    for_each = toset(var.principal_arns)
    content {
      principal = permission.value
      actions   = local.data_source_actions
    }
  }

  tags = var.tags
}

resource "aws_quicksight_data_set" "this" {
  for_each = local.datasets

  data_set_id = "${var.name_prefix}-${each.key}"
  name        = "${var.name_prefix} ${each.key}"
  import_mode = each.value.import_mode

  physical_table_map {
    physical_table_map_id = each.key
    relational_table {
      data_source_arn = aws_quicksight_data_source.athena[0].arn
      catalog         = "AwsDataCatalog"
      schema          = var.gold_database_name
      name            = each.value.table

      dynamic "input_columns" {
        for_each = each.value.columns
        content {
          name = input_columns.value.name
          type = input_columns.value.type
        }
      }
    }
  }

  logical_table_map {
    logical_table_map_id = each.key
    alias                = each.value.table
    source {
      physical_table_id = each.key
    }
  }

  dynamic "permissions" {
    for_each = toset(var.principal_arns)
    content {
      principal = permissions.value
      actions   = local.data_set_actions
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.dataset_errors) == 0
      error_message = "Variable dataset_definitions is inconsistent with the gold schema contracts: ${join("; ", local.dataset_errors)}."
    }
  }
}

resource "aws_quicksight_dashboard" "this" {
  count = var.enabled && var.dashboard != null ? 1 : 0

  dashboard_id        = "${var.name_prefix}-${var.dashboard.id}"
  name                = "${var.name_prefix} ${var.dashboard.name}"
  version_description = "Managed by Terraform from quicksight/dashboard.yaml"

  definition {
    dynamic "data_set_identifiers_declarations" {
      for_each = aws_quicksight_data_set.this
      content {
        identifier   = data_set_identifiers_declarations.key
        data_set_arn = data_set_identifiers_declarations.value.arn
      }
    }

    dynamic "sheets" {
      for_each = local.sheets
      content {
        sheet_id = sheets.value.id
        name     = sheets.value.title
        title    = sheets.value.title

        dynamic "visuals" {
          for_each = sheets.value.visuals
          content {
            dynamic "kpi_visual" {
              for_each = visuals.value.type == "kpi" ? [visuals.value] : []
              content {
                visual_id = kpi_visual.value.id
                title {
                  format_text {
                    plain_text = kpi_visual.value.title
                  }
                }
                chart_configuration {
                  field_wells {
                    dynamic "values" {
                      for_each = kpi_visual.value.measures
                      content {
                        dynamic "numerical_measure_field" {
                          for_each = contains(local.numeric, local.column_types[kpi_visual.value.dataset][values.value.column]) ? [values.value] : []
                          content {
                            field_id = "${kpi_visual.value.id}.${numerical_measure_field.value.column}"
                            column {
                              data_set_identifier = kpi_visual.value.dataset
                              column_name         = numerical_measure_field.value.column
                            }
                            aggregation_function {
                              simple_numerical_aggregation = numerical_measure_field.value.aggregation
                            }
                          }
                        }
                        dynamic "categorical_measure_field" {
                          for_each = contains(local.numeric, local.column_types[kpi_visual.value.dataset][values.value.column]) ? [] : [values.value]
                          content {
                            field_id             = "${kpi_visual.value.id}.${categorical_measure_field.value.column}"
                            aggregation_function = categorical_measure_field.value.aggregation
                            column {
                              data_set_identifier = kpi_visual.value.dataset
                              column_name         = categorical_measure_field.value.column
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }

            dynamic "bar_chart_visual" {
              for_each = visuals.value.type == "bar" ? [visuals.value] : []
              content {
                visual_id = bar_chart_visual.value.id
                title {
                  format_text {
                    plain_text = bar_chart_visual.value.title
                  }
                }
                chart_configuration {
                  orientation = "VERTICAL"
                  field_wells {
                    bar_chart_aggregated_field_wells {
                      dynamic "category" {
                        for_each = bar_chart_visual.value.dimensions
                        content {
                          dynamic "categorical_dimension_field" {
                            for_each = category.value.kind == "categorical" ? [category.value] : []
                            content {
                              field_id = "${bar_chart_visual.value.id}.${categorical_dimension_field.value.column}"
                              column {
                                data_set_identifier = bar_chart_visual.value.dataset
                                column_name         = categorical_dimension_field.value.column
                              }
                            }
                          }
                          dynamic "date_dimension_field" {
                            for_each = category.value.kind == "date" ? [category.value] : []
                            content {
                              field_id         = "${bar_chart_visual.value.id}.${date_dimension_field.value.column}"
                              date_granularity = date_dimension_field.value.granularity
                              column {
                                data_set_identifier = bar_chart_visual.value.dataset
                                column_name         = date_dimension_field.value.column
                              }
                            }
                          }
                        }
                      }
                      dynamic "values" {
                        for_each = bar_chart_visual.value.measures
                        content {
                          dynamic "numerical_measure_field" {
                            for_each = contains(local.numeric, local.column_types[bar_chart_visual.value.dataset][values.value.column]) ? [values.value] : []
                            content {
                              field_id = "${bar_chart_visual.value.id}.${numerical_measure_field.value.column}.${lower(numerical_measure_field.value.aggregation)}"
                              column {
                                data_set_identifier = bar_chart_visual.value.dataset
                                column_name         = numerical_measure_field.value.column
                              }
                              aggregation_function {
                                simple_numerical_aggregation = numerical_measure_field.value.aggregation
                              }
                            }
                          }
                          dynamic "categorical_measure_field" {
                            for_each = contains(local.numeric, local.column_types[bar_chart_visual.value.dataset][values.value.column]) ? [] : [values.value]
                            content {
                              field_id             = "${bar_chart_visual.value.id}.${categorical_measure_field.value.column}.${lower(categorical_measure_field.value.aggregation)}"
                              aggregation_function = categorical_measure_field.value.aggregation
                              column {
                                data_set_identifier = bar_chart_visual.value.dataset
                                column_name         = categorical_measure_field.value.column
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }

            dynamic "table_visual" {
              for_each = visuals.value.type == "table" ? [visuals.value] : []
              content {
                visual_id = table_visual.value.id
                title {
                  format_text {
                    plain_text = table_visual.value.title
                  }
                }
                chart_configuration {
                  field_wells {
                    table_aggregated_field_wells {
                      dynamic "group_by" {
                        for_each = table_visual.value.dimensions
                        content {
                          dynamic "categorical_dimension_field" {
                            for_each = group_by.value.kind == "categorical" ? [group_by.value] : []
                            content {
                              field_id = "${table_visual.value.id}.${categorical_dimension_field.value.column}"
                              column {
                                data_set_identifier = table_visual.value.dataset
                                column_name         = categorical_dimension_field.value.column
                              }
                            }
                          }
                          dynamic "date_dimension_field" {
                            for_each = group_by.value.kind == "date" ? [group_by.value] : []
                            content {
                              field_id         = "${table_visual.value.id}.${date_dimension_field.value.column}"
                              date_granularity = date_dimension_field.value.granularity
                              column {
                                data_set_identifier = table_visual.value.dataset
                                column_name         = date_dimension_field.value.column
                              }
                            }
                          }
                        }
                      }
                      dynamic "values" {
                        for_each = table_visual.value.measures
                        content {
                          dynamic "numerical_measure_field" {
                            for_each = contains(local.numeric, local.column_types[table_visual.value.dataset][values.value.column]) ? [values.value] : []
                            content {
                              field_id = "${table_visual.value.id}.${numerical_measure_field.value.column}.${lower(numerical_measure_field.value.aggregation)}"
                              column {
                                data_set_identifier = table_visual.value.dataset
                                column_name         = numerical_measure_field.value.column
                              }
                              aggregation_function {
                                simple_numerical_aggregation = numerical_measure_field.value.aggregation
                              }
                            }
                          }
                          dynamic "categorical_measure_field" {
                            for_each = contains(local.numeric, local.column_types[table_visual.value.dataset][values.value.column]) ? [] : [values.value]
                            content {
                              field_id             = "${table_visual.value.id}.${categorical_measure_field.value.column}.${lower(categorical_measure_field.value.aggregation)}"
                              aggregation_function = categorical_measure_field.value.aggregation
                              column {
                                data_set_identifier = table_visual.value.dataset
                                column_name         = categorical_measure_field.value.column
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }

        # KPIs in a row of three, charts and tables half-width below.
        layouts {
          configuration {
            grid_layout {
              dynamic "elements" {
                for_each = sheets.value.visuals
                content {
                  element_id   = elements.value.id
                  element_type = "VISUAL"
                  column_span  = elements.value.type == "kpi" ? 12 : 18
                  row_span     = elements.value.type == "kpi" ? 6 : 12
                }
              }
            }
          }
        }
      }
    }
  }

  dashboard_publish_options {
    ad_hoc_filtering_option {
      availability_status = "ENABLED"
    }
    export_to_csv_option {
      availability_status = "ENABLED"
    }
    sheet_controls_option {
      visibility_state = "EXPANDED"
    }
  }

  dynamic "permissions" {
    for_each = toset(var.principal_arns)
    content {
      principal = permissions.value
      actions   = local.dashboard_actions
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.bad_refs) == 0
      error_message = "Variable dashboard references data sets or columns that variable dataset_definitions does not define: ${join(", ", local.bad_refs)}."
    }
  }
}
