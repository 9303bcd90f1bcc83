# Contract of the compute/operations half (compute.tf) planned through the whole root module with
# mocked AWS: EMR capacity is capped, MWAA/QuickSight follow their switches, alarms follow the job
# graph and DQ suites, and the job-run configuration is published.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:role/terraform" }
  }
  mock_data "aws_iam_session_context" {
    defaults = { issuer_arn = "arn:aws:iam::123456789012:role/terraform" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b"] }
  }
}

# Bucket names are known before apply in AWS (the name is the id); the mock needs telling.
override_resource {
  target          = module.s3.aws_s3_bucket.this["artifacts"]
  override_during = plan
  values          = { id = "lakehouse-dev-artifacts-123456789012", arn = "arn:aws:s3:::lakehouse-dev-artifacts-123456789012" }
}

variables {
  environment    = "dev"
  enable_budgets = false # budgets are the storage half's; they need subscribers of their own
}

run "emr_application_is_capped_and_configured" {
  command = plan

  assert {
    condition     = module.emr_serverless.application_name == "lakehouse-dev-spark" && module.emr_serverless.release_label == "emr-7.12.0"
    error_message = "application <prefix>-spark on emr-7.12.0"
  }
  assert {
    condition     = module.emr_serverless.configuration_overrides.monitoringConfiguration.cloudWatchLoggingConfiguration.logGroupName == "/aws/emr-serverless/lakehouse-dev"
    error_message = "job logs go to the EMR log group of docs/interfaces.md"
  }
  assert {
    condition     = startswith(module.emr_serverless.configuration_overrides.monitoringConfiguration.s3MonitoringConfiguration.logUri, "s3://") && module.emr_serverless.configuration_overrides.monitoringConfiguration.s3MonitoringConfiguration.logUri == "s3://lakehouse-dev-artifacts-123456789012/logs/emr/"
    error_message = "S3 job logs go under the artifacts bucket's log prefix the job role may write"
  }
  assert {
    condition     = aws_s3_object.emr_configuration_overrides.key == "config/emr_configuration_overrides.json" && aws_s3_object.emr_configuration_overrides.server_side_encryption == "aws:kms"
    error_message = "the StartJobRun configuration overrides are published (KMS) next to the job config"
  }
  # The landing trigger's contract index: exactly the contracts with a landing block, by table, in the
  # shape lambda/landing_trigger/handler.py documents.
  assert {
    condition = aws_s3_object.contracts_index.key == "contracts/index.json" && jsondecode(aws_s3_object.contracts_index.content) == {
      for f in fileset("${path.root}/../glue", "*/*.yaml") : yamldecode(file("${path.root}/../glue/${f}")).table => {
        layer         = yamldecode(file("${path.root}/../glue/${f}")).layer
        source_system = yamldecode(file("${path.root}/../glue/${f}")).source_system
        landing       = yamldecode(file("${path.root}/../glue/${f}")).landing
      } if can(yamldecode(file("${path.root}/../glue/${f}")).landing)
    }
    error_message = "contracts/index.json holds {table: {layer, source_system, landing}} for every glue/*/*.yaml with a landing block"
  }
  assert {
    condition     = length(jsondecode(aws_s3_object.contracts_index.content)) > 0 && alltrue([for t, c in jsondecode(aws_s3_object.contracts_index.content) : toset(keys(c.landing)) == toset(["prefix", "pattern", "format", "max_bytes"])])
    error_message = "every landing entry carries prefix, pattern, format and max_bytes (what the trigger checks)"
  }
}

run "alarms_follow_the_job_graph" {
  command = plan

  # athena_sql/*.sql: the header the athena module reads, and every table a gold query reads is a gold
  # contract (or a view another file creates). CTE names are not tables.
  assert {
    condition = alltrue([for f in fileset("${path.root}/../athena_sql", "*.sql") :
      try(regex("(?m)^-- name: ([a-z0-9_]+)$", file("${path.root}/../athena_sql/${f}"))[0], "") == trimsuffix(f, ".sql") &&
      can(regex("(?m)^-- description: .{10,}$", file("${path.root}/../athena_sql/${f}"))) &&
      contains(["bronze", "silver", "gold", "quarantine", "audit"], try(regex("(?m)^-- database: ([a-z]+)$", file("${path.root}/../athena_sql/${f}"))[0], "")) &&
      length(regexall(";\\s*\\S", file("${path.root}/../athena_sql/${f}"))) == 0
    ])
    error_message = "every athena_sql/*.sql needs '-- name: <file name>', '-- description:', '-- database: <layer>' and exactly one statement"
  }
  assert {
    condition = alltrue(flatten([for f in fileset("${path.root}/../athena_sql", "*.sql") : [
      for t in flatten(regexall("(?i)\\b(?:FROM|JOIN)\\s+([a-z_][a-z0-9_]*)", replace(file("${path.root}/../athena_sql/${f}"), "/(?m)^--.*$/", ""))) :
      fileexists("${path.root}/../glue/gold/${lower(t)}.yaml") ||
      contains(flatten(regexall("(?i)\\bWITH\\s+([a-z_][a-z0-9_]*)\\s+AS\\s*\\(", file("${path.root}/../athena_sql/${f}"))), t) ||
      contains(flatten([for g in fileset("${path.root}/../athena_sql", "*.sql") : regexall("(?i)CREATE OR REPLACE VIEW\\s+([a-z_][a-z0-9_]*)", file("${path.root}/../athena_sql/${g}"))]), t)
    ] if try(regex("(?m)^-- database: ([a-z]+)$", file("${path.root}/../athena_sql/${f}"))[0], "") == "gold"]))
    error_message = "a gold query in athena_sql/ reads a table that has no glue/gold contract"
  }
  assert {
    condition = toset(keys(module.athena.views)) == toset(flatten([for f in fileset("${path.root}/../athena_sql", "*.sql") :
      regexall("(?i)CREATE\\s+OR\\s+REPLACE\\s+VIEW\\s+([a-z_][a-z0-9_]*)", file("${path.root}/../athena_sql/${f}"))[*][0]
    ])) && length(module.athena.views) > 0 && module.athena.views["current_customers"].database == "lakehouse_dev_gold"
    error_message = "every CREATE VIEW in athena_sql/ becomes a Glue view in its layer's database"
  }
  assert {
    condition     = length(setintersection(toset(keys(module.athena.named_query_ids)), toset([for f in fileset("${path.root}/../athena_sql", "*.sql") : trimsuffix(f, ".sql") if can(regex("(?i)CREATE\\s+OR\\s+REPLACE\\s+VIEW", file("${path.root}/../athena_sql/${f}")))]))) == 0
    error_message = "a view file is not also a named query (running it in Athena would rewrite the view behind Terraform's back)"
  }

  assert {
    condition = toset(keys(module.cloudwatch.alarm_names.sla)) == toset([
      for name, j in yamldecode(file("${path.root}/../emr_jobs/conf/pipeline.yaml")).jobs : name if try(j.sla_minutes, null) != null
    ])
    error_message = "one SLA alarm per job of emr_jobs/conf/pipeline.yaml that has sla_minutes"
  }
  assert {
    condition     = module.cloudwatch.alarm_names.job_failures == "lakehouse-dev-job-failures" && module.cloudwatch.alarm_names.dq_critical == "lakehouse-dev-dq-critical-failures"
    error_message = "job-failure and critical-DQ alarms exist"
  }
  assert {
    condition     = length(module.cloudwatch.alarm_names.volume) == length([for n, j in yamldecode(file("${path.root}/../emr_jobs/conf/pipeline.yaml")).jobs : n if j.group == "extract_source"])
    error_message = "the default anomaly mode watches RecordsIn of every extract job"
  }
  assert {
    condition     = toset(keys(module.cloudwatch.log_group_names)) == toset(["emr", "landing_trigger", "failure_notifier"])
    error_message = "log groups for EMR and both Lambdas"
  }
  assert {
    condition     = module.cloudwatch.composite_alarm_names == ["lakehouse-dev-pipeline-critical", "lakehouse-dev-pipeline-degraded"]
    error_message = "composite alarms are on by default"
  }
}

run "lambdas_are_wired_to_the_platform" {
  command = plan

  assert {
    condition     = aws_s3_object.emr_configuration_overrides.bucket == module.s3.artifacts_bucket_id
    error_message = "overrides live in the artifacts bucket"
  }
  assert {
    condition     = module.lambda.environment_variables.landing_trigger.JOB_CONFIG_URI == "s3://lakehouse-dev-artifacts-123456789012/config/job_config.json" && module.lambda.environment_variables.failure_notifier.SLACK_SECRET_NAME == "lakehouse-dev/slack-webhook"
    error_message = "handlers get the generated job config URI and the Slack secret name from the state module"
  }
}

run "emulator_switches_create_nothing" {
  command = plan

  variables {
    enable_mwaa             = false
    enable_quicksight       = false
    enable_composite_alarms = false
  }

  assert {
    condition     = module.mwaa.environment_arn == null && length(aws_s3_object.mwaa_emr_configuration_overrides) == 0
    error_message = "MWAA off: no environment, no network, no MWAA uploads"
  }
  assert {
    condition     = module.quicksight.dashboard_arn == null && module.quicksight.data_source_arn == null
    error_message = "QuickSight off: nothing"
  }
  assert {
    condition     = length(module.cloudwatch.composite_alarm_names) == 0
    error_message = "enable_composite_alarms = false (emulator) removes the composite alarms"
  }
}

run "mwaa_and_quicksight_on" {
  command = plan

  variables {
    enable_mwaa       = true
    enable_quicksight = true
  }

  assert {
    condition     = length(aws_s3_object.mwaa_emr_configuration_overrides) == 1
    error_message = "with MWAA the overrides are uploaded next to the DAG config"
  }
  assert {
    condition     = module.mwaa.airflow_version == regex("constraints-([0-9.]+[0-9])/", file("${path.root}/../airflow/requirements.txt"))[0]
    error_message = "MWAA runs the Airflow version whose constraints airflow/requirements.txt installs"
  }
  assert {
    condition     = length(module.quicksight.data_set_arns) == length(fileset("${path.root}/../quicksight/datasets", "*.yaml"))
    error_message = "one QuickSight data set per quicksight/datasets/*.yaml"
  }
}

run "refuses_capacity_without_units" {
  command = plan
  variables {
    emr_maximum_capacity = { cpu = "64", memory = "256 GB" }
  }
  expect_failures = [var.emr_maximum_capacity]
}

run "refuses_emr6_release" {
  command = plan
  variables {
    emr_release_label = "emr-6.15.0"
  }
  expect_failures = [var.emr_release_label]
}

run "refuses_bad_alarm_email" {
  command = plan
  variables {
    alarm_emails = { critical = ["oncall-at-example.com"] }
  }
  expect_failures = [var.alarm_emails]
}

run "refuses_mwaa_network_with_one_subnet" {
  command = plan
  variables {
    mwaa_network = { subnet_ids = ["subnet-0123456789abcdef0"], security_group_ids = ["sg-0123456789abcdef0"] }
  }
  expect_failures = [var.mwaa_network]
}
