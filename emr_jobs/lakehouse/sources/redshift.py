"""Redshift: analytics.behaviour_events over JDBC, incremental on ``loaded_at``.

The same code runs in AWS (Redshift JDBC URL + credentials from the secret; the driver jar ships in the
EMR image and the emr_serverless module's ``image_jars`` adds it to the classpath) and locally (H2 in
PostgreSQL mode for ``make demo``; a real PostgreSQL in the tests). The watermark predicate is pushed
down inside a ``dbtable`` subquery, bounded above by the max seen at the start so rows loaded during the
read wait for the next run (no gap, no double read), and the read is split on ``loaded_at``."""

from __future__ import annotations

from lakehouse.contracts import load_contract
from lakehouse.sources import ExtractResult, safe_watermark

TABLE = "analytics.behaviour_events"
REDSHIFT_DRIVER = "com.amazon.redshift.jdbc42.Driver"


def local_connection(cfg) -> dict[str, str]:
    """The embedded H2 database the demo uses (created by lakehouse.standins.jdbc.load_events)."""
    db = cfg.sources_dir / "redshift" / "db"
    return {
        "url": f"jdbc:h2:file:{db};MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH",
        "user": "sa",
        "password": "",
        "driver": "org.h2.Driver",
    }


def connection(cfg) -> dict[str, str]:
    if cfg.source_mode != "aws":
        return local_connection(cfg)
    from lakehouse.secrets import get_secret

    s = get_secret(cfg, "redshift")
    missing = [k for k in ("url", "user", "password") if not s.get(k)]
    if missing:
        raise ValueError(f"redshift: secret lacks key(s) {missing}")
    return {
        "url": s["url"],
        "user": s["user"],
        "password": s["password"],
        "driver": s.get("driver", REDSHIFT_DRIVER),
    }


def _reader(spark, conn: dict[str, str]):
    return (
        spark.read.format("jdbc")
        .option("url", conn["url"])
        .option("user", conn["user"])
        .option("password", conn["password"])
        .option("driver", conn["driver"])
        .option("fetchsize", "10000")
    )


def extract(
    cfg,
    spark,
    execution_date,
    watermarks: dict[str, str | None],
    *,
    conn: dict[str, str] | None = None,
    num_partitions: int = 4,
    **_,
) -> dict[str, ExtractResult]:
    contract = load_contract("bronze", "behaviour_events")
    wm_col = contract.watermark_column
    conn = conn or connection(cfg)
    wm = safe_watermark(watermarks.get(contract.table), "redshift")
    pred = f"{wm_col} > TIMESTAMP '{wm}'" if wm else "1=1"
    try:
        bounds = (
            _reader(spark, conn)
            .option(
                "query",
                f"SELECT min({wm_col}) AS lo, max({wm_col}) AS hi, count(*) AS n FROM {TABLE} WHERE {pred}",
            )
            .load()
            .collect()[0]
        )
    except Exception as exc:  # one line naming the source instead of a JVM trace
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ConnectionError(
            f"redshift: cannot query {TABLE} at {conn['url'].split(';')[0]}: {first}"
        ) from exc
    cols = ", ".join(contract.column_names)
    if not bounds["n"]:
        df = spark.createDataFrame([], contract.spark_schema())
        return {contract.table: ExtractResult(df, wm, 0, batch_key=f"{contract.table}|{wm}|empty")}
    hi = bounds["hi"].isoformat(sep=" ")
    sub = f"(SELECT {cols} FROM {TABLE} WHERE {pred} AND {wm_col} <= TIMESTAMP '{hi}') src"
    reader = _reader(spark, conn).option("dbtable", sub)
    if num_partitions > 1 and bounds["lo"] != bounds["hi"]:
        reader = (
            reader.option("partitionColumn", wm_col)
            .option("lowerBound", bounds["lo"].isoformat(sep=" "))
            .option("upperBound", hi)
            .option("numPartitions", str(num_partitions))
        )
    df = reader.load().persist()
    return {contract.table: ExtractResult(df, hi, int(bounds["n"]), batch_key=f"{contract.table}|{wm}|{hi}")}
