"""Silver -> gold: the star schema and its aggregates, published only when the critical DQ suite passes.

Pure functions build each candidate table from silver frames. ``build_gold(ctx)`` then:

1. reads silver (and the current dim_customer) at one pinned Delta version per table, so a concurrent
   silver run cannot make the checked and the published data differ;
2. builds every candidate and materialises it once (persist + count): the DQ suite and the publish read
   the same rows — a lost cached block is recomputed from the pinned inputs, which yields the same rows;
3. runs the ``gold`` DQ suite on the staged candidates; a critical failure publishes NOTHING and raises;
4. publishes all tables: a MERGE of only the new/changed rows for the keyed tables, a replace for dim_date
   and the (date, region) aggregate; an unchanged table gets no commit either way.

Atomicity — how far it goes: Delta commits are per table, so step 4 is N commits, not one. Before
publishing, the current version of every gold table is recorded; if any publish raises, the tables already
published in this run are RESTOREd to those versions, so a failed run leaves gold as it was. A process
killed in the middle of step 4 cannot roll back; the next run rebuilds the same candidates from the same
silver and every publish is idempotent (MERGE on keys / full replace), so the re-run converges to exactly
the state a clean run produces (tests/e2e/test_crash_recovery.py checks this for every stage boundary).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.accounting import Accounting
from lakehouse.silver import TRACKED_CUSTOMER_ATTRIBUTES

JOB = "silver_to_gold"
END_OF_TIME = "9999-12-31 00:00:00"
NON_REVENUE_STATUSES = ("cancelled", "returned")
# Publication order and policy: (table, keys, how). Dimensions first, so a reader never sees a fact whose
# surrogate key is not yet in its dimension.
PUBLISH = (
    ("dim_date", ("date_key",), "replace"),
    ("dim_product", ("product_id",), "merge"),
    ("dim_customer", ("customer_sk",), "merge"),
    ("fact_orders", ("order_id",), "merge"),
    ("daily_revenue_by_region_usd", ("order_date", "region"), "replace"),
    # one row per current customer and customers are never deleted, so a keyed MERGE of the changed rows
    # equals a full replace; the aggregates keyed by (date, region) can lose a group, so they are replaced
    ("customer_360", ("customer_id",), "merge"),
)
GOLD_TABLES = tuple(t for t, _, _ in PUBLISH)


class GoldNotPublished(RuntimeError):
    """The critical gold DQ suite failed on the candidates; gold was left untouched."""

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result  # the dq SuiteResult, for reports


# ---------------------------------------------------------------------------------------------- pure
def attr_hash(cols=TRACKED_CUSTOMER_ATTRIBUTES):
    """SHA-256 over the tracked attributes; NULL and '' hash differently (\\u0001 marks NULL)."""
    return F.sha2(
        F.concat_ws("\u0000", *[F.coalesce(F.col(c).cast("string"), F.lit("\u0001")) for c in cols]), 256
    )


def scd2_apply(existing: DataFrame | None, incoming: DataFrame, *, key: str = "customer_id") -> DataFrame:
    """The complete SCD2 dimension after applying ``incoming`` (one row per customer, current state).

    * a new customer opens its first version at ``created_at`` (else ``source_updated_at``);
    * a changed ``attr_hash`` closes the current version (``valid_to`` = the change time, ``is_current``
      false) and opens a new one from ``source_updated_at`` — but never at or before the closed version's
      start, so versions never overlap;
    * an unchanged customer, or one missing from ``incoming`` (silver never deletes), keeps its rows.
    Same input twice -> same output: nothing depends on the wall clock.
    """
    attrs = list(TRACKED_CUSTOMER_ATTRIBUTES)
    inc = incoming.withColumn("attr_hash", attr_hash()).select(
        key, *attrs, "match_source", "attr_hash", "created_at", "source_updated_at"
    )
    end = F.to_timestamp(F.lit(END_OF_TIME))
    columns = [key, *attrs, "match_source", "attr_hash", "valid_from", "valid_to", "is_current"]

    def with_sk(df: DataFrame) -> DataFrame:
        return df.withColumn("customer_sk", F.xxhash64(F.col(key), F.col("valid_from"))).select(
            "customer_sk", *columns
        )

    if existing is None:
        first = (
            inc.withColumn("valid_from", F.coalesce("created_at", "source_updated_at"))
            .withColumn("valid_to", end)
            .withColumn("is_current", F.lit(True))
        )
        return with_sk(first)

    ex = existing.select(*columns)
    cur = ex.where("is_current").select(
        F.col(key).alias("__k"), F.col("attr_hash").alias("__h"), F.col("valid_from").alias("__from")
    )
    j = inc.join(cur, F.col(key) == F.col("__k"), "left")
    new_cust = j.where(F.col("__k").isNull())
    changed = j.where(F.col("__k").isNotNull() & (F.col("__h") != F.col("attr_hash")))
    change_ts = F.greatest(
        F.coalesce("source_updated_at", F.col("__from") + F.expr("INTERVAL 1 SECOND")),
        F.col("__from") + F.expr("INTERVAL 1 SECOND"),
    )
    opened_new = new_cust.withColumn("valid_from", F.coalesce("created_at", "source_updated_at"))
    opened_changed = changed.withColumn("valid_from", change_ts)
    opened = (
        opened_new.unionByName(opened_changed)
        .withColumn("valid_to", end)
        .withColumn("is_current", F.lit(True))
        .select(*columns)
    )
    closing = changed.select(F.col(key).alias("__ck"), change_ts.alias("__to"))
    ex2 = ex.join(closing, (F.col(key) == F.col("__ck")) & F.col("is_current"), "left")
    kept = (
        ex2.withColumn("valid_to", F.coalesce(F.col("__to"), F.col("valid_to")))
        .withColumn("is_current", F.col("is_current") & F.col("__ck").isNull())
        .select(*columns)
    )
    # existing rows already carry their customer_sk; recomputing it from (key, valid_from) gives the same
    return with_sk(kept.unionByName(opened))


def build_dim_product(products: DataFrame, vendor_catalog: DataFrame) -> DataFrame:
    v = vendor_catalog.groupBy("product_id").agg(
        F.countDistinct("vendor_id").cast("int").alias("vendor_count"),
        F.min("supply_price_usd").cast("decimal(18,2)").alias("min_supply_price_usd"),
    )
    return products.join(v, "product_id", "left").select(
        F.xxhash64("product_id").alias("product_sk"),
        "product_id",
        "product_name",
        "category",
        "list_price",
        "currency",
        "list_price_usd",
        F.coalesce("vendor_count", F.lit(0)).cast("int").alias("vendor_count"),
        "min_supply_price_usd",
    )


def build_dim_date(spark, first: date, last: date) -> DataFrame:
    """Every day of the whole years from ``first`` to ``last`` (stable: a new order in a covered year
    changes nothing)."""
    start, end = date(first.year, 1, 1), date(last.year, 12, 31)
    d = spark.sql(f"SELECT explode(sequence(DATE'{start}', DATE'{end}', INTERVAL 1 DAY)) AS date")
    return d.select(
        F.date_format("date", "yyyyMMdd").cast("int").alias("date_key"),
        "date",
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        F.month("date").alias("month"),
        F.date_format("date", "MMMM").alias("month_name"),
        F.dayofmonth("date").alias("day_of_month"),
        # Spark's dayofweek is 1 = Sunday; ISO is 1 = Monday
        (((F.dayofweek("date") + 5) % 7) + 1).alias("day_of_week"),
        F.date_format("date", "EEEE").alias("day_name"),
        F.weekofyear("date").alias("week_of_year"),
        F.dayofweek("date").isin(1, 7).alias("is_weekend"),
    )


def build_fact_orders(orders: DataFrame, dim_customer: DataFrame, dim_product: DataFrame) -> DataFrame:
    """Orders with the customer version valid at ``order_ts`` (an order placed before a customer's first
    version — clock skew between sources — takes the earliest version) and the product key."""
    versions = dim_customer.select(
        F.col("customer_id").alias("__cid"),
        "customer_sk",
        F.col("valid_from").alias("__vf"),
        F.col("valid_to").alias("__vt"),
    )
    j = orders.join(versions, F.col("customer_id") == F.col("__cid"), "left")
    in_range = (F.col("order_ts") >= F.col("__vf")) & (F.col("order_ts") < F.col("__vt"))
    w = Window.partitionBy("order_id").orderBy(
        F.when(in_range, 0).otherwise(1), F.col("__vf").asc_nulls_last()
    )
    picked = j.withColumn("__rn", F.row_number().over(w)).where("__rn = 1")
    prod = dim_product.select(F.col("product_id").alias("__pid"), "product_sk")
    return picked.join(prod, F.col("product_id") == F.col("__pid"), "left").select(
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
        (~F.lower("status").isin(*NON_REVENUE_STATUSES)).alias("is_revenue"),
        F.date_format("order_date", "yyyy-MM").alias("order_month"),
    )


def build_daily_revenue(fact: DataFrame, dim_customer: DataFrame) -> DataFrame:
    """Revenue per order date and the customer's region at order time."""
    regions = dim_customer.select("customer_sk", "region")
    rev = F.col("is_revenue")
    return (
        fact.join(regions, "customer_sk", "left")
        .withColumn("region", F.coalesce(F.col("region"), F.lit("UNKNOWN")))
        .groupBy("order_date", "region")
        .agg(
            F.count(F.lit(1)).alias("orders"),
            F.sum(F.when(rev, 1).otherwise(0)).cast("bigint").alias("revenue_orders"),
            F.sum(F.when(rev, F.col("quantity")).otherwise(0)).cast("bigint").alias("units"),
            F.countDistinct("customer_id").alias("customers"),
            F.coalesce(F.sum(F.when(rev, F.col("amount_usd"))), F.lit(0))
            .cast("decimal(28,2)")
            .alias("revenue_usd"),
        )
    )


def build_customer_360(
    dim_customer: DataFrame,
    fact: DataFrame,
    behaviour: DataFrame,
    realtime: DataFrame,
    opportunities: DataFrame,
) -> DataFrame:
    cur = dim_customer.where("is_current").select(
        "customer_id", "customer_sk", "email", "region", "segment", "match_source", "sf_account_id"
    )
    rev = F.col("is_revenue")
    o = fact.groupBy("customer_id").agg(
        F.count(F.lit(1)).alias("orders"),
        F.coalesce(F.sum(F.when(rev, F.col("amount_usd"))), F.lit(0))
        .cast("decimal(28,2)")
        .alias("lifetime_revenue_usd"),
        F.sum(F.when(rev, 1).otherwise(0)).alias("__rev_orders"),
        F.min("order_ts").alias("first_order_ts"),
        F.max("order_ts").alias("last_order_ts"),
    )
    b = behaviour.groupBy("customer_id").agg(
        F.count(F.lit(1)).alias("behaviour_events"), F.max("event_ts").alias("__b_last")
    )
    r = realtime.groupBy("customer_id").agg(
        F.count(F.lit(1)).alias("realtime_events"), F.max("event_ts").alias("__r_last")
    )
    open_opp = (
        opportunities.where(~F.col("stage_name").isin("Closed Won", "Closed Lost"))
        .groupBy(F.col("account_id").alias("sf_account_id"))
        .agg(
            F.count(F.lit(1)).alias("open_opportunities"),
            F.coalesce(F.sum("amount_usd"), F.lit(0)).cast("decimal(28,2)").alias("open_pipeline_usd"),
        )
    )
    j = cur.join(o, "customer_id", "left").join(b, "customer_id", "left").join(r, "customer_id", "left")
    j = j.join(open_opp, "sf_account_id", "left")
    return j.select(
        "customer_id",
        "customer_sk",
        "email",
        "region",
        "segment",
        "match_source",
        F.coalesce("orders", F.lit(0)).cast("bigint").alias("orders"),
        F.coalesce("lifetime_revenue_usd", F.lit(0)).cast("decimal(28,2)").alias("lifetime_revenue_usd"),
        F.when(F.col("__rev_orders") > 0, F.col("lifetime_revenue_usd") / F.col("__rev_orders"))
        .cast("decimal(18,2)")
        .alias("avg_order_value_usd"),
        "first_order_ts",
        "last_order_ts",
        F.coalesce("behaviour_events", F.lit(0)).cast("bigint").alias("behaviour_events"),
        F.coalesce("realtime_events", F.lit(0)).cast("bigint").alias("realtime_events"),
        F.greatest("last_order_ts", "__b_last", "__r_last").alias("last_seen_ts"),
        F.coalesce("open_opportunities", F.lit(0)).cast("bigint").alias("open_opportunities"),
        F.coalesce("open_pipeline_usd", F.lit(0)).cast("decimal(28,2)").alias("open_pipeline_usd"),
    )


# ---------------------------------------------------------------------------------------------- I/O
@dataclass
class GoldResult:
    accounting: dict[str, Accounting] = field(default_factory=dict)
    dq: object | None = None  # the dq SuiteResult of the candidates
    published: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def _conform(df: DataFrame, table: str) -> DataFrame:
    from lakehouse.contracts import load_contract
    from lakehouse.silver import select_contract_columns

    return select_contract_columns(df, load_contract("gold", table).spark_schema())


def build_candidates(
    spark,
    cfg,
    read_silver,
    *,
    dim_version: int | None = None,
    stage: Callable[[str, DataFrame], DataFrame] | None = None,
) -> dict[str, DataFrame]:
    """Every gold table as a DataFrame, from silver frames given by ``read_silver(table)`` and the current
    dim_customer (at ``dim_version``; None: there is none yet).

    ``stage(table, df)`` is applied to each table as soon as it is built and what it returns is what the
    tables built from it read: ``build_gold`` materialises there, so the SCD2 dimension and the fact are
    computed once, not once more for every aggregate that reads them."""
    from lakehouse import tables as io

    stage = stage or (lambda _table, df: df)
    existing_dim = (
        None if dim_version is None else io.read(spark, cfg, "gold", "dim_customer", version=dim_version)
    )
    orders = read_silver("orders")
    bounds = orders.agg(F.min("order_date").alias("lo"), F.max("order_date").alias("hi")).collect()[0]
    lo, hi = bounds["lo"] or date.today(), bounds["hi"] or date.today()
    out = {"dim_date": stage("dim_date", build_dim_date(spark, lo, hi))}
    out["dim_product"] = stage(
        "dim_product", build_dim_product(read_silver("products"), read_silver("vendor_catalog"))
    )
    out["dim_customer"] = stage("dim_customer", scd2_apply(existing_dim, read_silver("customers_conformed")))
    out["fact_orders"] = stage(
        "fact_orders", build_fact_orders(orders, out["dim_customer"], out["dim_product"])
    )
    out["daily_revenue_by_region_usd"] = stage(
        "daily_revenue_by_region_usd", build_daily_revenue(out["fact_orders"], out["dim_customer"])
    )
    out["customer_360"] = stage(
        "customer_360",
        build_customer_360(
            out["dim_customer"],
            out["fact_orders"],
            read_silver("behaviour_events"),
            read_silver("realtime_events"),
            read_silver("sf_opportunities"),
        ),
    )
    return out


def build_gold(ctx) -> GoldResult:
    from lakehouse import dq
    from lakehouse import tables as io
    from lakehouse.accounting import assert_balanced
    from lakehouse.contracts import load_contract

    spark, cfg = ctx.spark, ctx.cfg
    result = GoldResult()

    # 1. one pinned snapshot of silver
    pinned: dict[str, int] = {}

    def read_silver(table: str) -> DataFrame:
        if not io.exists(spark, cfg, "silver", table):
            return spark.createDataFrame([], load_contract("silver", table).spark_schema())
        pinned.setdefault(table, io.version(spark, cfg, "silver", table))
        return io.read(spark, cfg, "silver", table, version=pinned[table])

    if not io.exists(spark, cfg, "silver", "orders"):
        raise RuntimeError("silver.orders does not exist: run bronze_to_silver before silver_to_gold")
    dim_version = io.version(spark, cfg, "gold", "dim_customer")  # SCD2 builds on this version

    # 2. materialise the candidates once (DQ and publish read the same blocks; should a cached block be
    #    lost, Spark recomputes it from the pinned inputs, which gives the same rows)
    staged: dict[str, DataFrame] = {}

    def stage(table: str, df: DataFrame) -> DataFrame:
        staged[table] = _conform(df, table).persist()
        result.rows[table] = staged[table].count()
        return staged[table]

    try:
        build_candidates(spark, cfg, read_silver, dim_version=dim_version, stage=stage)
        ctx.log.info("gold candidates staged", extra={"rows": result.rows, "silver_versions": pinned})

        # accounting: every silver order is one fact row (a join that lost or doubled orders fails the run)
        n_orders = read_silver("orders").count()
        n_customers = read_silver("customers_conformed").count()
        current = staged["dim_customer"].where("is_current").count()
        result.accounting = {
            "gold.fact_orders": Accounting("gold.fact_orders", n_orders, result.rows["fact_orders"], 0, 0),
            "gold.dim_customer": Accounting("gold.dim_customer", n_customers, current, 0, 0),
        }
        assert_balanced(result.accounting)

        # 3. the DQ gate on the candidates
        suite = dq.run_suite(
            spark,
            cfg,
            "gold",
            ctx.run_id,
            ctx.execution_date,
            tables=staged,
            metrics=ctx.metrics,
            log=ctx.log,
        )
        result.dq = suite
        dq.write_results(spark, cfg, suite)
        if not suite.passed_critical:
            failures = "; ".join(f"{r.table} {r.name}: {r.message}" for r in suite.critical_failures[:10])
            raise GoldNotPublished(
                f"{len(suite.critical_failures)} critical gold DQ check(s) failed, nothing was published: {failures}",
                suite,
            )

        # 4. publish everything, rolling back this run's commits if a publish fails
        before = {t: io.version(spark, cfg, "gold", t) for t in GOLD_TABLES}
        try:
            for table, keys, how in PUBLISH:
                contract = load_contract("gold", table)
                fail_at = _fail_publish_at()
                if fail_at == table:
                    raise RuntimeError(
                        f"injected failure before publishing gold.{table} (LAKEHOUSE_FAIL_PUBLISH_AT)"
                    )
                t0 = time.monotonic()
                if how == "replace":
                    written = io.overwrite(
                        spark,
                        cfg,
                        "gold",
                        table,
                        staged[table],
                        partition_by=contract.partition_by,
                        overwrite_schema=True,
                        only_if_changed=True,  # an unchanged aggregate gets no new version
                    )
                else:
                    written = io.merge(
                        spark,
                        cfg,
                        "gold",
                        table,
                        staged[table],
                        list(keys),
                        partition_by=contract.partition_by,
                        when_matched="update_if_changed",
                        dedupe=False,
                        changed_only=True,  # the candidates are the whole table: MERGE only what moved
                    )
                    written = written.inserted + written.updated
                result.published.append(table)
                ctx.log.info(
                    "gold table published",
                    extra={
                        "table": table,
                        "rows_written": written,
                        "seconds": round(time.monotonic() - t0, 2),
                    },
                )
        except Exception:
            _rollback(spark, cfg, before, result.published, ctx.log)
            raise
    finally:
        for df in staged.values():
            df.unpersist()
    ctx.log.info("gold published", extra={"tables": result.published, "rows": result.rows})
    return result


def _fail_publish_at() -> str | None:
    """Test switch: ``LAKEHOUSE_FAIL_PUBLISH_AT=<gold table>`` raises just before that table is published
    (proves the rollback of the tables already published in the run)."""
    import os

    return os.environ.get("LAKEHOUSE_FAIL_PUBLISH_AT") or None


def _rollback(spark, cfg, before: dict[str, int | None], published: list[str], log) -> None:
    from delta.tables import DeltaTable

    from lakehouse import tables as io

    for table in reversed(published):
        v = before.get(table)
        p = io.path(cfg, "gold", table)
        try:
            if v is not None and io.version(spark, cfg, "gold", table) == v:
                continue  # nothing was committed to it in this run (changed_only found no change)
            if v is None:
                # the table did not exist before this run: empty it (Delta cannot restore to "absent")
                DeltaTable.forPath(spark, p).delete()
            else:
                DeltaTable.forPath(spark, p).restoreToVersion(v)
            log.warning(
                "rolled back gold table after a failed publish", extra={"table": table, "to_version": v}
            )
        except Exception as exc:  # noqa: BLE001 - keep rolling back the others; the re-run converges anyway
            log.error("could not roll back gold.%s: %s", table, exc)


def run_step(ctx) -> GoldResult:
    """The ``transform.py --step gold`` body."""
    from lakehouse.accounting import record

    result = build_gold(ctx)
    record(ctx, result.accounting)
    return result
