data "aws_region" "current" {}

locals {
  # Delta 3.3.2 ships inside the EMR 7.x image; these jars and settings turn it on. The application
  # resource of the AWS provider 5.x has no runtime/monitoring configuration arguments, so the same
  # settings are handed to every StartJobRun as configurationOverrides (output configuration_overrides).
  delta_jars = ["/usr/share/aws/delta/lib/delta-spark.jar", "/usr/share/aws/delta/lib/delta-storage.jar"]
  base_spark_defaults = merge(
    {
      "spark.sql.extensions"            = "io.delta.sql.DeltaSparkSessionExtension"
      "spark.sql.catalog.spark_catalog" = "org.apache.spark.sql.delta.catalog.DeltaCatalog"
      # lakehouse.spark.running_on_emr: the jobs address s3:// through EMRFS and skip the local setup
      "spark.emr-serverless.driverEnv.LAKEHOUSE_RUNTIME" = "emr-serverless"
      "spark.executorEnv.LAKEHOUSE_RUNTIME"              = "emr-serverless"
      "spark.jars" = join(",", concat(
        local.delta_jars, var.delta_log_table_name == null ? [] : ["/usr/share/aws/delta/lib/delta-storage-s3-dynamodb.jar"], var.image_jars,
      ))
    },
    # Several job runs write the same tables (parallel extracts -> quarantine, stream + batch -> bronze):
    # commits to s3:// tables go through a DynamoDB put-if-absent, so none is lost.
    var.delta_log_table_name == null ? {} : {
      "spark.delta.logStore.s3.impl"                            = "io.delta.storage.S3DynamoDBLogStore"
      "spark.delta.logStore.s3a.impl"                           = "io.delta.storage.S3DynamoDBLogStore"
      "spark.io.delta.storage.S3DynamoDBLogStore.ddb.tableName" = var.delta_log_table_name
      "spark.io.delta.storage.S3DynamoDBLogStore.ddb.region"    = data.aws_region.current.name
    },
    # The source connectors the image lacks (Snowflake, Kafka) resolve from Maven at job start: this needs
    # outbound access (no VPC, or a VPC with a NAT); without it, upload the jars and list them in image_jars.
    length(var.spark_packages) > 0 ? { "spark.jars.packages" = join(",", var.spark_packages) } : {},
    var.enable_glue_catalog ? {
      "spark.hadoop.hive.metastore.client.factory.class" = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
      "spark.sql.catalogImplementation"                  = "hive"
    } : {},
  )
  spark_defaults = merge(local.base_spark_defaults, var.spark_defaults)

  monitoring_configuration = merge(
    var.enable_s3_logging ? {
      s3MonitoringConfiguration = {
        logUri           = var.log_uri
        encryptionKeyArn = var.s3_logs_kms_key_arn
      }
    } : {},
    var.enable_cloudwatch_logging ? {
      cloudWatchLoggingConfiguration = {
        enabled             = true
        logGroupName        = var.cloudwatch_log_group_name
        logStreamNamePrefix = "spark"
        encryptionKeyArn    = var.cloudwatch_logs_kms_key_arn
        logTypes = {
          SPARK_DRIVER   = ["STDOUT", "STDERR"]
          SPARK_EXECUTOR = ["STDOUT", "STDERR"]
        }
      }
    } : {},
  )

  # The StartJobRun "configurationOverrides" document (API shape, camelCase).
  configuration_overrides = {
    applicationConfiguration = [
      {
        classification = "spark-defaults"
        properties     = local.spark_defaults
      }
    ]
    monitoringConfiguration = local.monitoring_configuration
  }
}

resource "aws_emrserverless_application" "this" {
  name          = var.name
  release_label = var.release_label
  type          = "SPARK" # the API's spelling; the provider stores it lower-cased
  architecture  = var.architecture

  maximum_capacity {
    cpu    = var.maximum_capacity.cpu
    memory = var.maximum_capacity.memory
    disk   = var.maximum_capacity.disk
  }

  auto_start_configuration {
    enabled = var.auto_start_enabled
  }

  auto_stop_configuration {
    enabled              = var.auto_stop_enabled
    idle_timeout_minutes = var.idle_timeout_minutes
  }

  dynamic "initial_capacity" {
    for_each = var.enable_initial_capacity ? var.initial_capacity : {}
    content {
      initial_capacity_type = initial_capacity.key
      initial_capacity_config {
        worker_count = initial_capacity.value.worker_count
        worker_configuration {
          cpu    = initial_capacity.value.cpu
          memory = initial_capacity.value.memory
          disk   = initial_capacity.value.disk
        }
      }
    }
  }

  dynamic "network_configuration" {
    for_each = var.enable_vpc ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !var.enable_vpc || (length(var.subnet_ids) > 0 && length(var.security_group_ids) > 0)
      error_message = "Variables subnet_ids and security_group_ids must both be non-empty when enable_vpc is true."
    }
  }
}
