# Plan-time contract of the EMR Serverless module (mocked provider: no AWS, no credentials).
mock_provider "aws" {}

variables {
  name                        = "lakehouse-test-spark"
  maximum_capacity            = { cpu = "32 vCPU", memory = "128 GB" }
  log_uri                     = "s3://lakehouse-test-artifacts-123456789012/emr-logs/"
  s3_logs_kms_key_arn         = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  cloudwatch_logs_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000"
  cloudwatch_log_group_name   = "/aws/emr-serverless/lakehouse-test"
}

run "defaults_pin_emr7_arm64_and_cap_capacity" {
  command = plan

  assert {
    condition     = aws_emrserverless_application.this.release_label == "emr-7.12.0"
    error_message = "default release label must be emr-7.12.0 (Spark 3.5.6 / Delta 3.3.2, as the jobs pin)"
  }
  assert {
    condition     = aws_emrserverless_application.this.architecture == "ARM64" && lower(aws_emrserverless_application.this.type) == "spark"
    error_message = "a Spark application on ARM64 by default"
  }
  assert {
    condition = (
      aws_emrserverless_application.this.maximum_capacity[0].cpu == "32 vCPU" &&
      aws_emrserverless_application.this.maximum_capacity[0].memory == "128 GB" &&
      aws_emrserverless_application.this.maximum_capacity[0].disk == "1000 GB"
    )
    error_message = "maximum capacity must be set from maximum_capacity (disk defaults to 1000 GB)"
  }
  assert {
    condition     = aws_emrserverless_application.this.auto_stop_configuration[0].enabled && aws_emrserverless_application.this.auto_stop_configuration[0].idle_timeout_minutes == 15
    error_message = "auto-stop after 15 idle minutes by default"
  }
  assert {
    condition     = length(aws_emrserverless_application.this.initial_capacity) == 0 && length(aws_emrserverless_application.this.network_configuration) == 0
    error_message = "no pre-initialized capacity and no VPC unless enabled"
  }
}

run "job_runs_get_delta_glue_and_encrypted_logs" {
  command = plan

  assert {
    condition = (
      output.spark_defaults["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension" &&
      output.spark_defaults["spark.emr-serverless.driverEnv.LAKEHOUSE_RUNTIME"] == "emr-serverless" &&
      output.spark_defaults["spark.sql.catalog.spark_catalog"] == "org.apache.spark.sql.delta.catalog.DeltaCatalog" &&
      output.spark_defaults["spark.jars"] == "/usr/share/aws/delta/lib/delta-spark.jar,/usr/share/aws/delta/lib/delta-storage.jar,/usr/share/aws/redshift/jdbc/RedshiftJDBC.jar" &&
      output.spark_defaults["spark.hadoop.hive.metastore.client.factory.class"] == "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
    )
    error_message = "spark-defaults must enable Delta (extension, catalog, jars) and the Glue metastore"
  }
  assert {
    condition     = output.spark_defaults["spark.jars.packages"] == "net.snowflake:spark-snowflake_2.12:3.0.0,org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.3"
    error_message = "the Snowflake and Kafka connectors the image lacks must be on the job runs' classpath (spark.jars.packages)"
  }
  assert {
    condition = (
      jsondecode(output.configuration_overrides_json).monitoringConfiguration.s3MonitoringConfiguration.logUri == var.log_uri &&
      jsondecode(output.configuration_overrides_json).monitoringConfiguration.s3MonitoringConfiguration.encryptionKeyArn == var.s3_logs_kms_key_arn &&
      jsondecode(output.configuration_overrides_json).monitoringConfiguration.cloudWatchLoggingConfiguration.logGroupName == "/aws/emr-serverless/lakehouse-test" &&
      jsondecode(output.configuration_overrides_json).monitoringConfiguration.cloudWatchLoggingConfiguration.encryptionKeyArn == var.cloudwatch_logs_kms_key_arn
    )
    error_message = "job logs must go to S3 and CloudWatch, each with its KMS key"
  }
  assert {
    condition     = jsondecode(output.configuration_overrides_json).applicationConfiguration[0].classification == "spark-defaults"
    error_message = "configurationOverrides must carry a spark-defaults classification"
  }
}

run "warm_capacity_and_vpc_when_enabled" {
  command = plan

  variables {
    enable_initial_capacity = true
    enable_vpc              = true
    subnet_ids              = ["subnet-0123456789abcdef0"]
    security_group_ids      = ["sg-0123456789abcdef0"]
    spark_defaults          = { "spark.sql.shuffle.partitions" = "64" }
  }

  assert {
    condition     = length(aws_emrserverless_application.this.initial_capacity) == 2
    error_message = "Driver and Executor pre-initialized capacity expected"
  }
  assert {
    condition     = one(aws_emrserverless_application.this.network_configuration[0].subnet_ids) == "subnet-0123456789abcdef0"
    error_message = "network configuration must use the given subnets"
  }
  assert {
    condition     = output.spark_defaults["spark.sql.shuffle.partitions"] == "64" && output.spark_defaults["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    error_message = "extra spark_defaults are merged over, not instead of, the Delta settings"
  }
}

run "refuses_capacity_without_units" {
  command = plan
  variables {
    maximum_capacity = { cpu = "lots", memory = "128 GB" }
  }
  expect_failures = [var.maximum_capacity]
}

run "refuses_memory_below_2gb_per_vcpu" {
  command = plan
  variables {
    maximum_capacity = { cpu = "64 vCPU", memory = "64 GB" }
  }
  expect_failures = [var.maximum_capacity]
}

run "refuses_non_emr7_release" {
  command = plan
  variables {
    release_label = "emr-6.15.0"
  }
  expect_failures = [var.release_label]
}

run "refuses_vpc_without_subnets" {
  command = plan
  variables {
    enable_vpc = true
  }
  expect_failures = [aws_emrserverless_application.this]
}

run "no_maven_packages_when_the_jobs_cannot_reach_maven" {
  command = plan
  variables {
    spark_packages = []
    image_jars     = ["/usr/share/aws/redshift/jdbc/RedshiftJDBC.jar", "s3://artifacts/jars/spark-sql-kafka.jar"]
  }
  assert {
    condition     = !contains(keys(output.spark_defaults), "spark.jars.packages") && endswith(output.spark_defaults["spark.jars"], ",s3://artifacts/jars/spark-sql-kafka.jar")
    error_message = "an empty spark_packages drops spark.jars.packages; uploaded jars join spark.jars"
  }
}

run "refuses_a_package_that_is_not_a_maven_coordinate" {
  command = plan
  variables {
    spark_packages = ["spark-sql-kafka-0-10_2.12"]
  }
  expect_failures = [var.spark_packages]
}

run "delta_commits_to_s3_are_coordinated_through_dynamodb" {
  command = plan

  variables {
    delta_log_table_name = "lakehouse-test-delta-log"
  }

  assert {
    condition = (
      output.spark_defaults["spark.delta.logStore.s3.impl"] == "io.delta.storage.S3DynamoDBLogStore" &&
      output.spark_defaults["spark.delta.logStore.s3a.impl"] == "io.delta.storage.S3DynamoDBLogStore" &&
      output.spark_defaults["spark.io.delta.storage.S3DynamoDBLogStore.ddb.tableName"] == "lakehouse-test-delta-log" &&
      contains(split(",", output.spark_defaults["spark.jars"]), "/usr/share/aws/delta/lib/delta-storage-s3-dynamodb.jar")
    )
    error_message = "with a delta_log_table_name every job run commits to s3:// Delta tables through S3DynamoDBLogStore"
  }
}

run "without_a_delta_log_table_the_default_log_store_stays" {
  command = plan

  assert {
    condition     = !contains(keys(output.spark_defaults), "spark.delta.logStore.s3.impl")
    error_message = "no LogStore override without a delta_log_table_name"
  }
}
