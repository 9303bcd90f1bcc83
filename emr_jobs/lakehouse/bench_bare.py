"""Bare PySpark yardsticks for ``lakehouse.bench``: what the pipeline does, with no framework around it.

``commit_batches``: the least an hourly run must commit — a small batch into each of its tables — the floor
under the hourly figure.

``build``: the gold tables with no contracts, no DQ gate, no MERGE — the yardstick for the framework-overhead
figure. It reads the same silver Delta tables the pipeline reads and computes dim_date, dim_product, a
current-state dim_customer, fact_orders, daily_revenue_by_region_usd and customer_360 with the same joins and
aggregations, then overwrites Delta tables under ``<out>``. What it leaves out is exactly what the framework
adds: SCD2 history, the candidate DQ suite, row accounting, MERGE publication, logs and metrics.

    python -m lakehouse.bench_bare <lake_root> <out_dir>

Imports nothing from ``lakehouse`` but ``gold.dim_date_of``, a pure calendar builder (no config, no I/O).
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def build(spark, lake_root: str, out_dir: str) -> dict[str, int]:
    from pyspark.sql import functions as F

    from lakehouse.gold import dim_date_of

    def silver(t):
        return spark.read.format("delta").load(f"{lake_root}/silver/{t}")

    products, vendors = silver("products"), silver("vendor_catalog")
    customers, orders = silver("customers_conformed"), silver("orders")
    behaviour, realtime, opps = (
        silver("behaviour_events"),
        silver("realtime_events"),
        silver("sf_opportunities"),
    )

    v = vendors.groupBy("product_id").agg(
        F.countDistinct("vendor_id").alias("vendor_count"),
        F.min("supply_price_usd").alias("min_supply_price_usd"),
    )
    dim_product = products.join(v, "product_id", "left").select(
        F.xxhash64("product_id").alias("product_sk"),
        "product_id",
        "product_name",
        "category",
        "list_price",
        "currency",
        "list_price_usd",
        F.coalesce("vendor_count", F.lit(0)).alias("vendor_count"),
        "min_supply_price_usd",
    )
    dim_customer = customers.select(
        F.xxhash64("customer_id").alias("customer_sk"),
        "customer_id",
        "email",
        "region",
        "segment",
        "match_source",
        "sf_account_id",
    )
    fact = (
        orders.join(dim_customer.select("customer_id", "customer_sk"), "customer_id", "left")
        .join(dim_product.select("product_id", "product_sk"), "product_id", "left")
        .select(
            F.xxhash64("order_id").alias("order_sk"),
            "order_id",
            "customer_sk",
            "product_sk",
            F.date_format("order_date", "yyyyMMdd").cast("int").alias("date_key"),
            "customer_id",
            "product_id",
            "order_ts",
            "order_date",
            "status",
            "quantity",
            "currency",
            "unit_price",
            "amount",
            "fx_rate",
            "amount_usd",
            (~F.lower("status").isin("cancelled", "returned")).alias("is_revenue"),
            F.date_format("order_date", "yyyy-MM").alias("order_month"),
        )
    )
    rev = F.col("is_revenue")
    daily = (
        fact.join(dim_customer.select("customer_sk", "region"), "customer_sk", "left")
        .withColumn("region", F.coalesce("region", F.lit("UNKNOWN")))
        .groupBy("order_date", "region")
        .agg(
            F.count(F.lit(1)).alias("orders"),
            F.sum(F.when(rev, 1).otherwise(0)).alias("revenue_orders"),
            F.sum(F.when(rev, F.col("quantity")).otherwise(0)).alias("units"),
            F.countDistinct("customer_id").alias("customers"),
            F.coalesce(F.sum(F.when(rev, F.col("amount_usd"))), F.lit(0)).alias("revenue_usd"),
        )
    )
    o = fact.groupBy("customer_id").agg(
        F.count(F.lit(1)).alias("orders"),
        F.coalesce(F.sum(F.when(rev, F.col("amount_usd"))), F.lit(0)).alias("lifetime_revenue_usd"),
        F.min("order_ts").alias("first_order_ts"),
        F.max("order_ts").alias("last_order_ts"),
    )
    b = behaviour.groupBy("customer_id").agg(F.count(F.lit(1)).alias("behaviour_events"))
    r = realtime.groupBy("customer_id").agg(F.count(F.lit(1)).alias("realtime_events"))
    op = (
        opps.where(~F.col("stage_name").isin("Closed Won", "Closed Lost"))
        .groupBy(F.col("account_id").alias("sf_account_id"))
        .agg(F.count(F.lit(1)).alias("open_opportunities"), F.sum("amount_usd").alias("open_pipeline_usd"))
    )
    c360 = (
        dim_customer.join(o, "customer_id", "left")
        .join(b, "customer_id", "left")
        .join(r, "customer_id", "left")
        .join(op, "sf_account_id", "left")
    )
    out = {
        "dim_date": dim_date_of(spark, orders),  # the pipeline's own calendar builder: no framework code
        "dim_product": dim_product,
        "dim_customer": dim_customer,
        "fact_orders": fact,
        "daily_revenue_by_region_usd": daily,
        "customer_360": c360,
    }
    rows = {}
    for name, df in out.items():
        # a fresh folder each time; static mode because the session may default to dynamic overwrite
        writer = df.write.format("delta").mode("overwrite").option("partitionOverwriteMode", "static")
        if name == "fact_orders":
            writer = writer.partitionBy("order_month")
        writer.save(f"{out_dir}/{name}")
        rows[name] = spark.read.format("delta").load(f"{out_dir}/{name}").count()
    return rows


def commit_batches(
    spark,
    lake_dir: Path,
    out_dir: Path,
    keys: Mapping[tuple[str, str], Sequence[str]],
    *,
    percent: int = 1,
    parallel: int = 2,
) -> dict[str, dict[str, float]]:
    """The floor under any hourly run that keeps bronze, silver and gold as Delta tables: for each table in
    ``keys`` ((layer, table) -> business key), a batch of ``percent`` % of its own rows committed into a copy of
    it — appended to bronze, MERGEd by key into silver and gold (update on match, insert otherwise) — layer by
    layer, ``parallel`` tables at a time (the runner's default). Returns ``{"seconds": {layer: s}, "rows":
    {layer: rows committed}}``; copying the tables and sampling the batches are not timed.

    What it leaves out is everything a real run adds: extraction, contracts, quarantine, deduplication, typing,
    joins, the DQ suites, gold's recomputation, state and metrics. A pipeline can approach this figure, not beat
    it, so an hourly goal below it is out of reach on the machine that measured it."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    shutil.rmtree(out_dir, ignore_errors=True)
    batches, rows = {}, {}
    for layer, table in keys:
        copy = out_dir / layer / table
        shutil.copytree(lake_dir / layer / table, copy)
        frame = spark.read.format("delta").load(str(copy))
        pick = F.pmod(F.xxhash64(*keys[(layer, table)]), F.lit(100)) < percent
        batches[(layer, table)] = frame.where(pick).localCheckpoint()  # materialised now, outside the clock
        rows[layer] = rows.get(layer, 0) + batches[(layer, table)].count()

    def commit(layer: str, table: str) -> None:
        batch, where = batches[(layer, table)], str(out_dir / layer / table)
        if layer == "bronze":
            batch.write.format("delta").mode("append").save(where)
            return
        on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys[(layer, table)])
        target = DeltaTable.forPath(spark, where).alias("t")
        target.merge(batch.alias("s"), on).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()

    seconds: dict[str, float] = {}
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="bare-floor") as pool:
        for layer in ("bronze", "silver", "gold"):
            t0 = time.monotonic()
            list(pool.map(lambda lt: commit(*lt), [lt for lt in keys if lt[0] == layer]))
            seconds[layer] = round(time.monotonic() - t0, 1)
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"seconds": seconds, "rows": rows}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m lakehouse.bench_bare <lake_root> <out_dir>", file=sys.stderr)
        return 2
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.appName("bench-bare")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .getOrCreate()
    )
    t0 = time.monotonic()
    rows = build(spark, argv[0], argv[1])
    print({"seconds": round(time.monotonic() - t0, 2), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
