data "aws_region" "current" {}

# Pinned by name, so the subnets never move when AWS adds a zone.
data "aws_availability_zones" "available" {
  count = local.create_network ? 1 : 0
  state = "available"

  filter {
    name   = "zone-name"
    values = length(var.availability_zones) > 0 ? var.availability_zones : ["${data.aws_region.current.name}a", "${data.aws_region.current.name}b"]
  }
}

locals {
  create_network     = var.enabled && var.create_network
  zone_names         = local.create_network ? sort(data.aws_availability_zones.available[0].names) : []
  azs                = slice(local.zone_names, 0, min(2, length(local.zone_names)))
  subnet_ids         = local.create_network ? aws_subnet.private[*].id : var.subnet_ids
  security_group_ids = local.create_network ? [aws_security_group.mwaa[0].id] : var.security_group_ids
}

# ---- optional network: VPC, 2 private + 2 public subnets, one NAT gateway, self-referencing SG --------

resource "aws_vpc" "this" {
  count = local.create_network ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(var.tags, { Name = "${var.name}-vpc" })
}

# No rules: nothing may use the default security group.
resource "aws_default_security_group" "this" {
  count = local.create_network ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name}-default-deny" })
}

resource "aws_subnet" "private" {
  count = local.create_network ? 2 : 0

  vpc_id            = aws_vpc.this[0].id
  cidr_block        = cidrsubnet(var.vpc_cidr, 4, count.index)
  availability_zone = local.azs[count.index]
  tags              = merge(var.tags, { Name = "${var.name}-private-${local.azs[count.index]}" })
}

resource "aws_subnet" "public" {
  count = local.create_network ? 2 : 0

  vpc_id                  = aws_vpc.this[0].id
  cidr_block              = cidrsubnet(var.vpc_cidr, 4, count.index + 8)
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false
  tags                    = merge(var.tags, { Name = "${var.name}-public-${local.azs[count.index]}" })
}

resource "aws_internet_gateway" "this" {
  count = local.create_network ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name}-igw" })
}

resource "aws_eip" "nat" {
  count = local.create_network ? 1 : 0

  domain = "vpc"
  tags   = merge(var.tags, { Name = "${var.name}-nat" })

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.create_network ? 1 : 0

  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id
  tags          = merge(var.tags, { Name = "${var.name}-nat" })
}

resource "aws_route_table" "public" {
  count = local.create_network ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name}-public" })
}

resource "aws_route" "public_internet" {
  count = local.create_network ? 1 : 0

  route_table_id         = aws_route_table.public[0].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this[0].id
}

resource "aws_route_table_association" "public" {
  count = local.create_network ? 2 : 0

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[0].id
}

resource "aws_route_table" "private" {
  count = local.create_network ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = merge(var.tags, { Name = "${var.name}-private" })
}

resource "aws_route" "private_nat" {
  count = local.create_network ? 1 : 0

  route_table_id         = aws_route_table.private[0].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[0].id
}

resource "aws_route_table_association" "private" {
  count = local.create_network ? 2 : 0

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[0].id
}

resource "aws_security_group" "mwaa" {
  count = local.create_network ? 1 : 0

  name        = "${var.name}-mwaa"
  description = "MWAA ${var.name}: members talk to each other; HTTPS out to AWS APIs and PyPI"
  vpc_id      = aws_vpc.this[0].id
  tags        = merge(var.tags, { Name = "${var.name}-mwaa" })
}

# MWAA requires a self-referencing rule: scheduler, workers, web server and its VPC endpoints share the group.
resource "aws_vpc_security_group_ingress_rule" "self" {
  count = local.create_network ? 1 : 0

  security_group_id            = aws_security_group.mwaa[0].id
  referenced_security_group_id = aws_security_group.mwaa[0].id
  ip_protocol                  = "-1"
  description                  = "All traffic between MWAA components"
}

resource "aws_vpc_security_group_egress_rule" "self" {
  count = local.create_network ? 1 : 0

  security_group_id            = aws_security_group.mwaa[0].id
  referenced_security_group_id = aws_security_group.mwaa[0].id
  ip_protocol                  = "-1"
  description                  = "All traffic between MWAA components (incl. metadata DB endpoint)"
}

resource "aws_vpc_security_group_egress_rule" "https" {
  count = local.create_network ? 1 : 0

  security_group_id = aws_security_group.mwaa[0].id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS to AWS APIs, EMR Serverless and PyPI through the NAT gateway"
}

resource "aws_cloudwatch_log_group" "flow_logs" {
  count = local.create_network ? 1 : 0

  name              = "/aws/vpc-flow-logs/${var.name}"
  retention_in_days = var.flow_log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "flow_logs_assume" {
  count = local.create_network ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "flow_logs_write" {
  count = local.create_network ? 1 : 0

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs[0].arn}:*"]
  }
}

# A service role that exists only for this VPC's flow log, so it lives with it.
resource "aws_iam_role" "flow_logs" {
  count = local.create_network ? 1 : 0

  name               = "${var.name}-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "flow_logs" {
  count = local.create_network ? 1 : 0

  name   = "write-flow-log-group"
  role   = aws_iam_role.flow_logs[0].id
  policy = data.aws_iam_policy_document.flow_logs_write[0].json
}

resource "aws_flow_log" "this" {
  count = local.create_network ? 1 : 0

  vpc_id          = aws_vpc.this[0].id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn    = aws_iam_role.flow_logs[0].arn
  tags            = var.tags
}

# ---- the environment ----------------------------------------------------------------------------------

resource "aws_mwaa_environment" "this" {
  count = var.enabled ? 1 : 0

  name                             = var.name
  airflow_version                  = var.airflow_version
  environment_class                = var.environment_class
  min_workers                      = var.min_workers
  max_workers                      = var.max_workers
  schedulers                       = var.schedulers
  webserver_access_mode            = var.webserver_access_mode
  kms_key                          = var.kms_key_arn
  execution_role_arn               = var.execution_role_arn
  source_bucket_arn                = var.source_bucket_arn
  dag_s3_path                      = var.dag_s3_path
  requirements_s3_path             = var.requirements_s3_path
  requirements_s3_object_version   = var.requirements_s3_path == null ? null : var.requirements_s3_object_version
  startup_script_s3_path           = var.startup_script_s3_path
  startup_script_s3_object_version = var.startup_script_s3_path == null ? null : var.startup_script_s3_object_version
  airflow_configuration_options    = var.airflow_configuration_options
  weekly_maintenance_window_start  = var.weekly_maintenance_window_start

  # Every log type goes to CloudWatch (log groups airflow-<name>-<Type>, encrypted with kms_key).
  logging_configuration {
    dag_processing_logs {
      enabled   = true
      log_level = var.log_level
    }
    scheduler_logs {
      enabled   = true
      log_level = var.log_level
    }
    task_logs {
      enabled   = true
      log_level = var.log_level
    }
    webserver_logs {
      enabled   = true
      log_level = var.log_level
    }
    worker_logs {
      enabled   = true
      log_level = var.log_level
    }
  }

  network_configuration {
    subnet_ids         = local.subnet_ids
    security_group_ids = local.security_group_ids
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.kms_key_arn != null && var.execution_role_arn != null && var.source_bucket_arn != null
      error_message = "Variables kms_key_arn, execution_role_arn and source_bucket_arn are required when enabled is true."
    }
    precondition {
      condition     = var.min_workers <= var.max_workers
      error_message = "Variable min_workers must be <= max_workers."
    }
    precondition {
      condition     = var.create_network || (length(var.subnet_ids) == 2 && length(var.security_group_ids) >= 1)
      error_message = "Variables subnet_ids (exactly two) and security_group_ids (at least one) are required when create_network is false."
    }
    precondition {
      condition     = !var.create_network || length(local.azs) == 2
      error_message = "Variable availability_zones must name two available zones of the region (default: <region>a and <region>b)."
    }
    precondition {
      condition     = var.environment_class == "mw1.micro" ? var.schedulers == 1 : var.schedulers >= 2
      error_message = "Variable schedulers must be 1 for environment_class mw1.micro and 2-5 for the other classes."
    }
  }
}
