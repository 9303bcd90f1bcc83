# Contract of modules/iam: no statement allows Action "*" (or a service-wide "svc:*"), iam:PassRole
# always carries iam:PassedToService, and trust policies are bound to this account or the repository.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:role/terraform" }
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
}

variables {
  name_prefix = "lakehouse-test"
  project     = "lakehouse"
  environment = "dev"
  buckets = {
    lake           = "arn:aws:s3:::lakehouse-test-lake-123456789012"
    artifacts      = "arn:aws:s3:::lakehouse-test-artifacts-123456789012"
    athena_results = "arn:aws:s3:::lakehouse-test-athena-results-123456789012"
    mwaa           = "arn:aws:s3:::lakehouse-test-mwaa-123456789012"
  }
  kms_key_arns = {
    lake    = "arn:aws:kms:eu-west-1:123456789012:key/lake"
    logs    = "arn:aws:kms:eu-west-1:123456789012:key/logs"
    secrets = "arn:aws:kms:eu-west-1:123456789012:key/secrets"
  }
  state_table_arn     = "arn:aws:dynamodb:eu-west-1:123456789012:table/lakehouse-test-state"
  delta_log_table_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/lakehouse-test-delta-log"
  secret_arns = {
    snowflake       = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lakehouse-test/snowflake-AbCdEf"
    "slack-webhook" = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:lakehouse-test/slack-webhook-AbCdEf"
  }
  names = {
    glue_databases   = { bronze = "lakehouse_test_bronze", silver = "lakehouse_test_silver", gold = "lakehouse_test_gold" }
    emr_log_group    = "/aws/emr-serverless/lakehouse-test"
    lambda_functions = { landing_trigger = "lakehouse-test-landing-trigger", failure_notifier = "lakehouse-test-failure-notifier" }
    mwaa_environment = "lakehouse-test-airflow"
    topics           = { critical = "lakehouse-test-critical", warning = "lakehouse-test-warning" }
    athena_workgroup = "lakehouse-test-analytics"
  }
  metrics_namespace   = "Lakehouse/dev"
  emr_application_arn = "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00fabcdefghij012"
  enable_mwaa         = true
  enable_glue_crawler = true
  enable_analyst      = true
  github = {
    enabled          = true
    repository       = "example-org/lakehouse"
    state_bucket_arn = "arn:aws:s3:::example-org-tfstate"
  }
}

run "no_statement_allows_every_action" {
  command = plan

  module {
    source = "./modules/iam"
  }

  assert {
    condition = alltrue(flatten([
      for d in concat(
        [data.aws_iam_policy_document.emr_job, data.aws_iam_policy_document.landing_trigger, data.aws_iam_policy_document.failure_notifier, data.aws_iam_policy_document.lakeformation_registration],
        data.aws_iam_policy_document.mwaa, data.aws_iam_policy_document.glue_crawler, data.aws_iam_policy_document.analyst,
        data.aws_iam_policy_document.github_plan, data.aws_iam_policy_document.github_apply, data.aws_iam_policy_document.github_state,
        values(data.aws_iam_policy_document.service_trust), data.aws_iam_policy_document.analyst_trust, values(data.aws_iam_policy_document.github_trust),
      ) : [for s in d.statement : alltrue([for a in coalesce(s.actions, []) : a != "*" && !endswith(a, ":*")]) && length(coalesce(s.not_actions, [])) == 0]
    ]))
    error_message = "an IAM statement allows Action \"*\" (or a whole service, or uses NotAction)"
  }

  assert {
    condition = alltrue(flatten([
      for d in concat([data.aws_iam_policy_document.landing_trigger], data.aws_iam_policy_document.mwaa, data.aws_iam_policy_document.github_apply) : [
        for s in d.statement : anytrue([for c in s.condition : c.variable == "iam:PassedToService"]) if contains(coalesce(s.actions, []), "iam:PassRole")
      ]
    ]))
    error_message = "iam:PassRole must always be limited with iam:PassedToService"
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.emr_job.statement :
    !contains(s.resources, "arn:aws:s3:::lakehouse-test-lake-123456789012/*") && !contains(s.resources, "arn:aws:s3:::lakehouse-test-artifacts-123456789012/*")])
    error_message = "the EMR job role must be scoped to lake/artifact prefixes, not whole buckets"
  }

  assert {
    condition = length([for s in data.aws_iam_policy_document.emr_job.statement : s if s.sid == "DeltaCommitCoordination" &&
    length(s.resources) == 1 && contains(s.resources, "arn:aws:dynamodb:eu-west-1:123456789012:table/lakehouse-test-delta-log") && contains(s.actions, "dynamodb:PutItem")]) == 1
    error_message = "the EMR job role may coordinate Delta commits through the delta-log table, and only that table"
  }

  assert {
    condition = length([for s in data.aws_iam_policy_document.emr_job.statement : s if contains(s.actions, "events:PutEvents") &&
    length(s.resources) == 1 && contains(s.resources, "arn:aws:events:eu-west-1:123456789012:event-bus/default")]) == 1
    error_message = "the EMR job role may put the DQ failure event on the default bus only"
  }

  assert {
    condition = alltrue([for d in [data.aws_iam_policy_document.landing_trigger, data.aws_iam_policy_document.failure_notifier] :
    length([for s in d.statement : s if contains(s.actions, "xray:PutTraceSegments") && contains(s.actions, "xray:PutTelemetryRecords")]) == 1])
    error_message = "both Lambda roles must allow X-Ray writes: the functions use Active tracing"
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.emr_job.statement :
    alltrue([for r in s.resources : r == "*" ? length(setsubtract(s.actions, ["cloudwatch:PutMetricData", "lakeformation:GetDataAccess"])) == 0 : true])])
    error_message = "the EMR job role may use Resource \"*\" only for actions without a resource type"
  }

  assert {
    condition = alltrue(flatten([
      for d in concat([data.aws_iam_policy_document.emr_job], data.aws_iam_policy_document.mwaa) : [
        for s in d.statement : anytrue([for c in s.condition : c.variable == "cloudwatch:namespace" && contains(c.values, "Lakehouse/dev")]) if contains(s.actions, "cloudwatch:PutMetricData")
      ]
    ]))
    error_message = "cloudwatch:PutMetricData is limited to the pipeline namespace (Lakehouse/<env>; MWAA also AmazonMWAA)"
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.mwaa[0].statement : contains(s.actions, "sns:Publish") && toset(s.resources) == toset(["arn:aws:sns:eu-west-1:123456789012:lakehouse-test-critical", "arn:aws:sns:eu-west-1:123456789012:lakehouse-test-warning"])]) && anytrue([
      for s in data.aws_iam_policy_document.mwaa[0].statement : contains(s.actions, "secretsmanager:GetSecretValue") && toset(s.resources) == toset(["arn:aws:secretsmanager:eu-west-1:123456789012:secret:lakehouse-test/slack-webhook-AbCdEf"])
    ])
    error_message = "MWAA publishes to both topics and reads only the Slack secret"
  }

  assert {
    condition = alltrue(flatten([
      for d in concat([data.aws_iam_policy_document.landing_trigger, data.aws_iam_policy_document.failure_notifier], data.aws_iam_policy_document.mwaa) : [
        for s in d.statement : alltrue([for r in s.resources : startswith(r, "arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00fabcdefghij012")]) if anytrue([for a in s.actions : startswith(a, "emr-serverless:")])
      ]
    ]))
    error_message = "runtime roles act on the platform's EMR Serverless application (and its runs) only"
  }

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.landing_trigger.statement : s.resources if contains(s.actions, "s3:GetObject")])) == toset([
      "arn:aws:s3:::lakehouse-test-lake-123456789012/landing/*",
      "arn:aws:s3:::lakehouse-test-artifacts-123456789012/contracts/index.json",
      "arn:aws:s3:::lakehouse-test-artifacts-123456789012/config/emr_configuration_overrides.json",
    ])
    error_message = "the landing trigger reads landing/ files, the contract index and the run configuration overrides only"
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.landing_trigger.statement : !anytrue([for a in s.actions : startswith(a, "dynamodb:")]) || toset(s.actions) == toset(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"])])
    error_message = "the landing trigger only gets, puts and updates ledger items"
  }

  assert {
    condition     = alltrue([for d in values(data.aws_iam_policy_document.service_trust) : anytrue([for c in one(d.statement).condition : c.variable == "aws:SourceAccount" && contains(c.values, "123456789012")])])
    error_message = "service trust policies must be bound to this account (aws:SourceAccount)"
  }

  assert {
    condition = alltrue([for d in values(data.aws_iam_policy_document.github_trust) :
    anytrue([for c in one(d.statement).condition : c.variable == "token.actions.githubusercontent.com:sub" && alltrue([for v in c.values : startswith(v, "repo:example-org/lakehouse:")])])])
    error_message = "GitHub roles must trust only tokens of the configured repository"
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.github_plan[0].statement : !contains(s.actions, "secretsmanager:GetSecretValue")])
    error_message = "the read-only plan role must not read secret values"
  }

  assert {
    condition     = length(aws_iam_role.service) == 6 && length(aws_iam_role.github) == 2 && length(aws_iam_openid_connect_provider.github) == 1
    error_message = "expected emr_job, landing_trigger, failure_notifier, lakeformation_registration, mwaa, glue_crawler roles plus the two GitHub roles and the OIDC provider"
  }

  # The role the lake location is registered with (modules/lakeformation registration_role_arn): the
  # service-linked role cannot use the lake's customer-managed key, this one can, and nothing more.
  # (Asserted in this run, not a new one: a new run with a module block needs `terraform init` again.)
  assert {
    condition     = aws_iam_role.service["lakeformation_registration"].name == "lakehouse-test-lf-registration"
    error_message = "the registration role is <name_prefix>-lf-registration"
  }

  assert {
    condition = (
      toset(flatten([for p in one(data.aws_iam_policy_document.service_trust["lakeformation_registration"].statement).principals : p.identifiers if p.type == "Service"])) == toset(["lakeformation.amazonaws.com"]) &&
      length([for p in one(data.aws_iam_policy_document.service_trust["lakeformation_registration"].statement).principals : p if p.type != "Service"]) == 0 &&
      toset(one(data.aws_iam_policy_document.service_trust["lakeformation_registration"].statement).actions) == toset(["sts:AssumeRole"]) &&
      anytrue([for c in one(data.aws_iam_policy_document.service_trust["lakeformation_registration"].statement).condition : c.variable == "aws:SourceAccount" && toset(c.values) == toset(["123456789012"])])
    )
    error_message = "the registration role trusts lakeformation.amazonaws.com only (AssumeRole), bound to this account"
  }

  assert {
    condition = (
      toset(flatten([for s in data.aws_iam_policy_document.lakeformation_registration.statement : s.actions if anytrue([for a in s.actions : startswith(a, "kms:")])])) == toset(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]) &&
      alltrue([for s in data.aws_iam_policy_document.lakeformation_registration.statement : toset(s.resources) == toset(["arn:aws:kms:eu-west-1:123456789012:key/lake"]) if anytrue([for a in s.actions : startswith(a, "kms:")])]) &&
      alltrue([for s in data.aws_iam_policy_document.lakeformation_registration.statement : anytrue([for c in s.condition : c.variable == "kms:ViaService" && toset(c.values) == toset(["s3.eu-west-1.amazonaws.com"])]) if anytrue([for a in s.actions : startswith(a, "kms:")])])
    )
    error_message = "the registration role may Decrypt/Encrypt/GenerateDataKey with the lake key only, and only through S3"
  }

  assert {
    condition = (
      toset(flatten([for s in data.aws_iam_policy_document.lakeformation_registration.statement : s.actions if anytrue([for a in s.actions : startswith(a, "s3:")])])) == toset(["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) &&
      alltrue(flatten([for s in data.aws_iam_policy_document.lakeformation_registration.statement : [
        for r in s.resources : contains(s.actions, "s3:ListBucket") ? r == "arn:aws:s3:::lakehouse-test-lake-123456789012" : r == "arn:aws:s3:::lakehouse-test-lake-123456789012/*"
      ] if anytrue([for a in s.actions : startswith(a, "s3:")])]))
    )
    error_message = "the registration role lists the lake bucket and gets/puts/deletes its objects, and touches no other bucket"
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.lakeformation_registration.statement : alltrue([for a in s.actions : startswith(a, "s3:") || startswith(a, "kms:")])])
    error_message = "the registration role has S3 and KMS permissions only"
  }
}

run "optional_roles_off" {
  command = plan

  module {
    source = "./modules/iam"
  }

  variables {
    enable_mwaa         = false
    enable_glue_crawler = false
    enable_analyst      = false
    github              = {}
  }

  assert {
    condition     = output.mwaa_execution_role_arn == null && output.glue_crawler_role_arn == null && output.analyst_role_arn == null && output.github_apply_role_arn == null
    error_message = "disabled roles must not be created and their outputs must be null"
  }

  assert {
    condition     = toset(keys(aws_iam_role.service)) == toset(["emr_job", "landing_trigger", "failure_notifier", "lakeformation_registration"])
    error_message = "the Lake Formation registration role exists whatever the optional-role flags: the lake location is always registered"
  }
}

run "github_needs_a_repository" {
  command = plan

  module {
    source = "./modules/iam"
  }

  variables {
    github = { enabled = true, repository = "not a repo" }
  }

  expect_failures = [var.github]
}
