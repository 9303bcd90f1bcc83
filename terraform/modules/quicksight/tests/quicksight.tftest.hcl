# Plan-time contract of the QuickSight module, fed from the repository's quicksight/*.yaml and
# glue/gold contracts exactly as terraform/compute.tf derives them.
mock_provider "aws" {}

variables {
  name_prefix           = "lakehouse-test"
  athena_workgroup_name = "lakehouse-test-analytics"
  gold_database_name    = "lakehouse_test_gold"
  principal_arns        = ["arn:aws:quicksight:eu-west-1:123456789012:group/default/analysts"]
  dataset_definitions   = [for f in fileset("../../../quicksight/datasets", "*.yaml") : yamldecode(file("../../../quicksight/datasets/${f}"))]
  gold_contracts        = { for f in fileset("../../../glue/gold", "*.yaml") : trimsuffix(f, ".yaml") => yamldecode(file("../../../glue/gold/${f}")) }
  dashboard             = yamldecode(file("../../../quicksight/dashboard.yaml"))
}

run "off_by_default_creates_nothing" {
  command = plan

  assert {
    condition     = length(aws_quicksight_data_source.athena) + length(aws_quicksight_data_set.this) + length(aws_quicksight_dashboard.this) == 0
    error_message = "QuickSight needs a subscription: nothing unless enabled"
  }
  assert {
    condition     = output.dashboard_arn == null && output.data_source_arn == null
    error_message = "outputs are null when disabled"
  }
}

run "repository_definitions_build_sources_sets_and_dashboard" {
  command = plan

  variables {
    enabled = true
  }

  assert {
    condition     = aws_quicksight_data_source.athena[0].type == "ATHENA" && aws_quicksight_data_source.athena[0].parameters[0].athena[0].work_group == "lakehouse-test-analytics"
    error_message = "an Athena data source on the analytics workgroup"
  }
  assert {
    condition     = toset(keys(aws_quicksight_data_set.this)) == toset([for f in fileset("../../../quicksight/datasets", "*.yaml") : yamldecode(file("../../../quicksight/datasets/${f}")).id])
    error_message = "one data set per quicksight/datasets/*.yaml"
  }
  assert {
    condition     = alltrue([for d in aws_quicksight_data_set.this : one(d.physical_table_map).relational_table[0].schema == "lakehouse_test_gold"])
    error_message = "data sets read the gold database"
  }
  assert {
    condition     = alltrue([for d in aws_quicksight_data_set.this : !contains([for c in one(d.physical_table_map).relational_table[0].input_columns : c.name], "email")])
    error_message = "no data set exposes e-mail (PII)"
  }
  assert {
    condition     = length(aws_quicksight_dashboard.this[0].definition[0].sheets) == 2 && length(aws_quicksight_dashboard.this[0].definition[0].sheets[0].visuals) == 5
    error_message = "dashboard sheets and visuals follow quicksight/dashboard.yaml"
  }
  assert {
    condition     = one(aws_quicksight_dashboard.this[0].definition[0].sheets[0].visuals[0].kpi_visual).chart_configuration[0].field_wells[0].values[0].numerical_measure_field[0].aggregation_function[0].simple_numerical_aggregation == "SUM"
    error_message = "numeric measures aggregate numerically"
  }
  assert {
    condition     = one(aws_quicksight_dashboard.this[0].definition[0].sheets[0].visuals[2].kpi_visual).chart_configuration[0].field_wells[0].values[0].categorical_measure_field[0].aggregation_function == "DISTINCT_COUNT"
    error_message = "string measures (customer_id) use a categorical measure field"
  }
}

run "refuses_pii_columns" {
  command = plan
  variables {
    enabled             = true
    dashboard           = null
    dataset_definitions = [{ id = "people", table = "dim_customer", columns = ["customer_id", "email"] }]
  }
  expect_failures = [aws_quicksight_data_set.this]
}

run "refuses_column_missing_from_contract" {
  command = plan
  variables {
    enabled             = true
    dashboard           = null
    dataset_definitions = [{ id = "revenue", table = "daily_revenue_by_region_usd", columns = ["region", "profit_usd"] }]
  }
  expect_failures = [aws_quicksight_data_set.this]
}

run "refuses_dashboard_reference_to_unknown_column" {
  command = plan
  variables {
    enabled             = true
    dataset_definitions = [{ id = "daily_revenue", table = "daily_revenue_by_region_usd", columns = ["region"] }]
    dashboard           = { id = "d", name = "d", sheets = [{ id = "s", title = "s", visuals = [{ id = "v", type = "bar", title = "t", dataset = "daily_revenue", dimensions = [{ column = "region" }], measures = [{ column = "revenue_usd" }] }] }] }
  }
  expect_failures = [aws_quicksight_dashboard.this]
}

run "refuses_unknown_visual_type" {
  command = plan
  variables {
    dashboard = { id = "d", name = "d", sheets = [{ id = "s", title = "s", visuals = [{ id = "v", type = "pie", title = "t", dataset = "x", measures = [{ column = "c" }] }] }] }
  }
  expect_failures = [var.dashboard]
}
