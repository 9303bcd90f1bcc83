"""Load the generated behaviour events into a JDBC database that stands in for Redshift."""

from __future__ import annotations

from pathlib import Path

from lakehouse.contracts import load_contract

DDL = """CREATE TABLE analytics.behaviour_events (
  event_id VARCHAR(64), customer_id VARCHAR(32), event_type VARCHAR(32), event_ts TIMESTAMP,
  page VARCHAR(256), session_id VARCHAR(64), device VARCHAR(16), loaded_at TIMESTAMP)"""


def execute(spark, conn: dict[str, str], statements: list[str]) -> None:
    """Run DDL through the JVM's JDBC driver (the driver jar is already in the Spark session)."""
    jvm = spark._jvm
    props = jvm.java.util.Properties()
    props.setProperty("user", conn["user"])
    props.setProperty("password", conn["password"])
    driver = jvm.java.lang.Class.forName(
        conn["driver"], True, jvm.java.lang.Thread.currentThread().getContextClassLoader()
    ).newInstance()
    c = driver.connect(conn["url"], props)
    try:
        st = c.createStatement()
        for s in statements:
            st.execute(s)
        st.close()
    finally:
        c.close()


def load_events(spark, conn: dict[str, str], csv_path: str | Path, *, replace: bool = True) -> int:
    """(Re)create analytics.behaviour_events and insert the CSV rows; returns the row count."""
    contract = load_contract("bronze", "behaviour_events")
    if replace:
        execute(
            spark,
            conn,
            ["CREATE SCHEMA IF NOT EXISTS analytics", "DROP TABLE IF EXISTS analytics.behaviour_events", DDL],
        )
    df = spark.read.option("header", True).schema(contract.spark_schema()).csv(str(csv_path))
    df = df.select(*[f.name for f in contract.spark_schema().fields])
    (
        df.write.format("jdbc")
        .option("url", conn["url"])
        .option("user", conn["user"])
        .option("password", conn["password"])
        .option("driver", conn["driver"])
        .option("dbtable", "analytics.behaviour_events")
        .option("batchsize", "5000")
        .mode("append")
        .save()
    )
    return df.count()


def append_events(spark, conn: dict[str, str], rows: list[tuple]) -> None:
    """Insert more rows (tests: a later 'hourly' load)."""
    contract = load_contract("bronze", "behaviour_events")
    df = spark.createDataFrame(rows, contract.spark_schema())
    (
        df.write.format("jdbc")
        .option("url", conn["url"])
        .option("user", conn["user"])
        .option("password", conn["password"])
        .option("driver", conn["driver"])
        .option("dbtable", "analytics.behaviour_events")
        .mode("append")
        .save()
    )
