"""Snowflake: SALES.ORDERS, CRM.CUSTOMERS, SALES.PRODUCTS, incremental on UPDATED_AT.

AWS: the spark-snowflake connector (``net.snowflake.spark.snowflake``; the EMR image lacks it, the
emr_serverless module's ``spark_packages`` puts it on the job runs' classpath) with the watermark predicate in the ``query`` option, so Snowflake filters before anything crosses the wire.
Local: the generated CSV files under ``<sources_dir>/snowflake/<table>/`` filtered by the same rule."""

from __future__ import annotations

from lakehouse.contracts import contracts_for_source
from lakehouse.sources import ExtractResult, max_watermark, safe_watermark

TABLES = {"orders": "SALES.ORDERS", "customers": "CRM.CUSTOMERS", "products": "SALES.PRODUCTS"}


def connector_options(secret: dict) -> dict[str, str]:
    """spark-snowflake options from the secret (password or key-pair auth)."""
    need = ("url", "user", "database", "warehouse")
    missing = [k for k in need if not secret.get(k)]
    if missing:
        raise ValueError(f"snowflake: secret lacks key(s) {missing}")
    opts = {
        "sfURL": secret["url"],
        "sfUser": secret["user"],
        "sfDatabase": secret["database"],
        "sfWarehouse": secret["warehouse"],
        "sfSchema": secret.get("schema", "PUBLIC"),
    }
    if secret.get("role"):
        opts["sfRole"] = secret["role"]
    if secret.get("private_key"):
        opts["pem_private_key"] = secret["private_key"]
    elif secret.get("password"):
        opts["sfPassword"] = secret["password"]
    else:
        raise ValueError("snowflake: secret needs 'password' or 'private_key'")
    return opts


def pushdown_query(table: str, wm_col: str, watermark: str | None) -> str:
    wm = safe_watermark(watermark, "snowflake")
    where = f" WHERE {wm_col.upper()} > '{wm}'::TIMESTAMP_NTZ" if wm else ""
    return f"SELECT * FROM {TABLES[table]}{where}"


def extract(cfg, spark, execution_date, watermarks: dict[str, str | None], **_) -> dict[str, ExtractResult]:
    from pyspark.sql import functions as F

    out = {}
    opts = None
    if cfg.source_mode == "aws":
        from lakehouse.secrets import get_secret

        opts = connector_options(get_secret(cfg, "snowflake"))
    for contract in contracts_for_source("snowflake"):
        t, wm_col = contract.table, contract.watermark_column
        wm = safe_watermark(watermarks.get(t), "snowflake")
        if opts is not None:
            df = (
                spark.read.format("net.snowflake.spark.snowflake")
                .options(**opts)
                .option("query", pushdown_query(t, wm_col, wm))
                .load()
            )
            df = df.toDF(*[c.lower() for c in df.columns])  # Snowflake upper-cases identifiers
        else:
            folder = str(cfg.sources_dir / "snowflake" / t)
            if not (cfg.sources_dir / "snowflake" / t).is_dir():
                raise FileNotFoundError(f"snowflake stand-in: {folder} not found (run the generator first)")
            df = spark.read.option("header", True).option("inferSchema", False).csv(folder)
            if wm:
                # Rows with an unparseable watermark only come in the first (full) load; later loads
                # are strictly past the watermark, like the pushed-down predicate.
                df = df.where(F.expr(f"try_cast(`{wm_col}` AS timestamp)") > F.lit(wm).cast("timestamp"))
        df = df.persist()
        out[t] = ExtractResult(df, max_watermark(df, wm_col, wm), df.count(), batch_key=f"{t}|{wm}")
    return out
