# Plan-time contract of the MWAA module.
mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b"] }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name                             = "lakehouse-test-airflow"
  kms_key_arn                      = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  execution_role_arn               = "arn:aws:iam::123456789012:role/lakehouse-test-mwaa"
  source_bucket_arn                = "arn:aws:s3:::lakehouse-test-mwaa-123456789012"
  requirements_s3_object_version   = "v-req-1"
  startup_script_s3_object_version = "v-start-1"
  subnet_ids                       = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids               = ["sg-0123456789abcdef0"]
}

run "private_environment_with_every_log_type" {
  command = plan

  assert {
    condition     = aws_mwaa_environment.this[0].webserver_access_mode == "PRIVATE_ONLY" && aws_mwaa_environment.this[0].kms_key == var.kms_key_arn
    error_message = "private web server and customer-managed KMS by default"
  }
  assert {
    condition = alltrue([for t in ["dag_processing_logs", "scheduler_logs", "task_logs", "webserver_logs", "worker_logs"] :
    aws_mwaa_environment.this[0].logging_configuration[0][t][0].enabled])
    error_message = "all five Airflow log types go to CloudWatch"
  }
  assert {
    condition = (
      aws_mwaa_environment.this[0].dag_s3_path == "dags" &&
      aws_mwaa_environment.this[0].requirements_s3_path == "requirements.txt" &&
      aws_mwaa_environment.this[0].requirements_s3_object_version == "v-req-1" &&
      aws_mwaa_environment.this[0].startup_script_s3_object_version == "v-start-1"
    )
    error_message = "DAGs from dags/, requirements and startup script pinned to their object versions"
  }
  assert {
    condition     = aws_mwaa_environment.this[0].airflow_version == "3.3.1" && aws_mwaa_environment.this[0].min_workers == 1 && aws_mwaa_environment.this[0].max_workers == 5
    error_message = "newest MWAA Airflow and the worker bounds"
  }
  assert {
    condition     = length(aws_vpc.this) == 0 && toset(output.subnet_ids) == toset(var.subnet_ids)
    error_message = "given subnets are used and no network is created"
  }
}

run "creates_network_behind_flag" {
  command = plan

  variables {
    create_network     = true
    subnet_ids         = []
    security_group_ids = []
  }

  assert {
    condition     = length(aws_subnet.private) == 2 && length(aws_nat_gateway.this) == 1 && length(aws_security_group.mwaa) == 1 && length(aws_flow_log.this) == 1
    error_message = "two private subnets, a NAT gateway, a security group and flow logs"
  }
  assert {
    condition     = aws_subnet.private[0].availability_zone != aws_subnet.private[1].availability_zone
    error_message = "the private subnets sit in two zones"
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "public subnets never hand out public IPs"
  }
}

run "disabled_creates_nothing" {
  command = plan

  variables {
    enabled        = false
    create_network = true
  }

  assert {
    condition     = length(aws_mwaa_environment.this) == 0 && length(aws_vpc.this) == 0 && length(aws_nat_gateway.this) == 0 && length(aws_flow_log.this) == 0
    error_message = "MWAA off must create no MWAA or network resources"
  }
  assert {
    condition     = output.environment_arn == null && output.webserver_url == null
    error_message = "outputs are null when disabled"
  }
}

run "refuses_min_above_max_workers" {
  command = plan
  variables {
    min_workers = 6
    max_workers = 2
  }
  expect_failures = [aws_mwaa_environment.this]
}

run "refuses_unknown_class" {
  command = plan
  variables {
    environment_class = "mw2.huge"
  }
  expect_failures = [var.environment_class]
}

run "refuses_too_many_workers" {
  command = plan
  variables {
    max_workers = 40
  }
  expect_failures = [var.max_workers]
}

run "refuses_missing_network" {
  command = plan
  variables {
    subnet_ids = []
  }
  expect_failures = [aws_mwaa_environment.this]
}
