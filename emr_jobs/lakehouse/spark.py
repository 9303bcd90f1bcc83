"""The one SparkSession factory: local mode (laptop, tests, emulator) and EMR Serverless mode.

Local mode pulls the Delta, hadoop-aws, JDBC and Kafka-source jars from Maven Central through
``spark.jars.packages`` into a cached Ivy directory (``$LAKEHOUSE_CACHE_DIR/ivy``), so later runs work
offline. On EMR Serverless the release label ships Delta and hadoop-aws already; the application's
runtime configuration (terraform/modules/emr_serverless) turns them on, and nothing is downloaded.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Versions of the jars that match the pinned pyspark (3.5.6, Hadoop 3.3.4) and delta-spark (3.3.2).
SCALA = "2.12"
DELTA_VERSION = "3.3.2"
HADOOP_VERSION = "3.3.4"
PACKAGES = {
    "delta": f"io.delta:delta-spark_{SCALA}:{DELTA_VERSION}",
    "s3a": f"org.apache.hadoop:hadoop-aws:{HADOOP_VERSION}",
    "postgres": "org.postgresql:postgresql:42.7.8",
    "h2": "com.h2database:h2:2.3.232",
    # the Kafka source; 3.5.3 is the newest 3.5 build on the Maven mirror here (the 3.5 line shares one API);
    # the same version the emr_serverless module's spark_packages gives EMR
    "kafka": f"org.apache.spark:spark-sql-kafka-0-10_{SCALA}:3.5.3",
}
DEFAULT_PACKAGES = ("delta", "s3a", "postgres", "h2", "kafka")
# What pyspark's own jars already hold (same versions) but the Kafka connector's dependencies would fetch again:
# a second copy of each on the classpath (and, for snappy-java's bundle, a download the mirror refuses)
EXCLUDED_PACKAGES = (
    "org.xerial.snappy:snappy-java",
    "org.slf4j:slf4j-api",
    "org.apache.hadoop:hadoop-client-api",
    "org.apache.hadoop:hadoop-client-runtime",
    "org.lz4:lz4-java",
    "commons-logging:commons-logging",
    "com.google.code.findbugs:jsr305",
)


def cache_dir() -> Path:
    base = os.environ.get("LAKEHOUSE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "lakehouse"
    )
    return Path(base)


def running_on_emr() -> bool:
    # terraform/modules/emr_serverless puts LAKEHOUSE_RUNTIME in every job run's driver and executor
    # environment (spark-defaults), so this does not hang on which variables an EMR release happens to set
    return os.environ.get("LAKEHOUSE_RUNTIME") == "emr-serverless" or bool(
        os.environ.get("EMR_SERVERLESS_APPLICATION_ID") or os.environ.get("AWS_EMR_JOB_RUN_ID")
    )


def _local_parallelism() -> int:
    return max(1, os.cpu_count() or 1)


def s3a_conf(endpoint_url: str | None, region: str | None) -> dict[str, str]:
    """hadoop-aws settings for s3a:// paths; an endpoint (emulator, LocalStack) switches to path style."""
    conf = {
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.aws.credentials.provider": (
            "com.amazonaws.auth.EnvironmentVariableCredentialsProvider,"
            "com.amazonaws.auth.DefaultAWSCredentialsProviderChain"
        ),
        # Delta needs a LogStore that is safe for S3's semantics from one writer per table.
        "spark.delta.logStore.s3a.impl": "io.delta.storage.S3SingleDriverLogStore",
        # Encryption is the bucket's default SSE-KMS (terraform/modules/s3): no per-request key headers.
    }
    if region:
        conf["spark.hadoop.fs.s3a.endpoint.region"] = region
    if endpoint_url:
        conf.update(
            {
                "spark.hadoop.fs.s3a.endpoint": endpoint_url,
                "spark.hadoop.fs.s3a.path.style.access": "true",
                "spark.hadoop.fs.s3a.connection.ssl.enabled": str(endpoint_url.startswith("https")).lower(),
                "spark.hadoop.fs.s3a.change.detection.mode": "none",
            }
        )
    return conf


CODEGEN_CACHE_ENTRIES = "spark.sql.codegen.cache.maxEntries"  # static: set before the session starts


def base_conf(shuffle_partitions: int | None = None) -> dict[str, str]:
    """Settings every session gets, local or EMR."""
    return {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.shuffle.partitions": str(shuffle_partitions or max(4, 2 * _local_parallelism())),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        "spark.databricks.delta.merge.repartitionBeforeWrite.enabled": "true",
        # Generated classes kept for reuse (Spark's default: 100). One process running silver, the DQ suite and
        # gold of an hourly batch generates ~1,150 distinct classes, so the default evicted and recompiled:
        # 1,950 compilations (53 s of CPU) with 100, 1,149 (33 s) with 5,000, each one warmed up by the JIT again.
        CODEGEN_CACHE_ENTRIES: "5000",
    }


def build_session(
    app_name: str = "lakehouse",
    *,
    packages: tuple[str, ...] = DEFAULT_PACKAGES,
    endpoint_url: str | None = None,
    region: str | None = None,
    shuffle_partitions: int | None = None,
    extra_conf: dict[str, str] | None = None,
):
    """Return a SparkSession with Delta on, AQE on, UTC time zone and machine-sized shuffles."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    conf = base_conf(shuffle_partitions)
    if running_on_emr():
        conf.update(s3a_conf(None, region))
    else:
        ivy = cache_dir() / "ivy"
        ivy.mkdir(parents=True, exist_ok=True)
        conf.update(
            {
                "spark.master": os.environ.get("LAKEHOUSE_SPARK_MASTER", f"local[{_local_parallelism()}]"),
                "spark.jars.packages": ",".join(PACKAGES[p] for p in packages),
                "spark.jars.ivy": str(ivy),
                "spark.jars.excludes": ",".join(EXCLUDED_PACKAGES),
                "spark.driver.memory": os.environ.get("LAKEHOUSE_DRIVER_MEMORY", "4g"),
                "spark.ui.enabled": "false",
                # the status store keeps every job/stage/task and SQL plan even without the UI: a long local
                # session (tests, bench, demo) runs thousands of them, so keep only recent ones
                "spark.ui.retainedJobs": "100",
                "spark.ui.retainedStages": "100",
                "spark.ui.retainedTasks": "10000",
                "spark.sql.ui.retainedExecutions": "50",
                "spark.ui.showConsoleProgress": "false",
                "spark.sql.warehouse.dir": str(cache_dir() / "spark-warehouse"),
                "spark.driver.extraJavaOptions": "-Dderby.system.home=" + str(cache_dir() / "derby"),
                "spark.databricks.delta.snapshotPartitions": "2",
                # the Kafka stand-in stops after each extract: close its idle cached producer soon, not after 10 min
                # of reconnect warnings (publish also backs the reconnects off)
                "spark.kafka.producer.cache.timeout": "20s",
                "spark.kafka.producer.cache.evictorThreadRunInterval": "10s",
                "spark.sql.streaming.stateStore.providerClass": (
                    "org.apache.spark.sql.execution.streaming.state.HDFSBackedStateStoreProvider"
                ),
            }
        )
        if "s3a" in packages:
            conf.update(s3a_conf(endpoint_url or os.environ.get("AWS_ENDPOINT_URL"), region))
    conf.update(extra_conf or {})
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("LAKEHOUSE_SPARK_LOG_LEVEL", "WARN"))
    return spark


def main(argv: list[str]) -> int:
    if "--fetch-jars" in argv:
        try:
            spark = build_session("lakehouse-fetch-jars")
        except Exception as exc:  # noqa: BLE001 - one clear line instead of a JVM stack trace
            print(
                "lakehouse.spark: could not fetch the Spark jars from Maven Central into "
                f"{cache_dir() / 'ivy'} ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
                "check that Maven Central is reachable or that the Ivy cache is populated",
                file=sys.stderr,
            )
            return 1
        spark.range(1).count()
        spark.stop()
        from lakehouse.standins.kafka_broker import BrokerError, broker_jars

        try:
            broker = broker_jars()  # the local Kafka source's broker (its own JVM, not on Spark's classpath)
        except BrokerError as exc:
            print(f"lakehouse.spark: {exc}", file=sys.stderr)
            return 1
        print(f"lakehouse.spark: jars cached in {cache_dir() / 'ivy'} and {broker}")
        return 0
    print("usage: python -m lakehouse.spark --fetch-jars", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
