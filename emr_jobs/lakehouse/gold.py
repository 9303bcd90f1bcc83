"""Silver -> gold: the star schema and its aggregates, published only when the critical DQ suite passes.

Pure functions build each gold table from silver frames. ``build_gold(ctx)`` then:

1. reads silver (and gold) at one pinned Delta version per table, so a concurrent silver run cannot make
   the checked and the published data differ;
2. builds the candidates, either
   * **incrementally** (the default, once gold exists): the silver tables record Delta's change data feed,
     and gold keeps, per silver input, the version it last built from (watermarks ``silver_to_gold``/
     ``<table>@<table id>``: ``lakehouse.feeds``). The keys that changed since —
     orders, conformed customers, products, the customers of new events, the accounts of changed
     opportunities — name the gold rows to recompute: the dim_customer versions of those customers (SCD2),
     the fact rows of those orders and of every order of those customers, the 360 rows of every customer
     they touch, the revenue of every date those orders had or have. The table each check reads is the
     current gold table with those rows replaced;
   * or **in full** (first build, ``--mode full``, or when the change feed does not reach back: turned
     on after the last build, vacuumed, a silver table recreated): every table from all of silver;
   and materialises each once (persist + count): the DQ suite and the publish read the same rows;
3. runs the ``gold`` DQ suite on the would-be tables; a critical failure publishes NOTHING and raises;
4. publishes all tables, each once the tables it references are (``PUBLISH_AFTER``; the others side by
   side): a MERGE of only the new/changed rows for the keyed tables, a replace for dim_date and the
   (date, region) aggregate; an unchanged table gets no commit either way. Then the silver versions it
   built from become the new watermarks.

Atomicity — how far it goes: Delta commits are per table, so step 4 is N commits, not one. Before
publishing, the current version of every gold table is recorded; if any publish raises, the tables already
published in this run are RESTOREd to those versions, so a failed run leaves gold as it was. A process
killed in the middle of step 4 cannot roll back; its watermarks did not move, so the next run recomputes
the same keys from the same silver and every publish is idempotent (MERGE on keys / full replace): the
re-run converges to exactly the state a clean run produces (tests/e2e/test_crash_recovery.py checks this
for every stage boundary).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.accounting import Accounting
from lakehouse.concurrency import TABLES_AT_ONCE, run_all
from lakehouse.silver import TRACKED_CUSTOMER_ATTRIBUTES

JOB = "silver_to_gold"
END_OF_TIME = "9999-12-31 00:00:00"
NON_REVENUE_STATUSES = ("cancelled", "returned")
# Publication policy: (table, keys, how), in the order tables are started. "merge" tables are MERGEd on their
# keys once they outgrow REPLACE_MAX_ROWS (below it they are replaced whole, like the "replace" ones).
PUBLISH = (
    ("dim_date", ("date_key",), "replace"),
    ("dim_product", ("product_id",), "merge"),
    ("dim_customer", ("customer_sk",), "merge"),
    ("fact_orders", ("order_id",), "merge"),
    ("daily_revenue_by_region_usd", ("order_date", "region"), "replace"),
    # one row per current customer; the aggregates keyed by (date, region) can lose a group, so they are
    # replaced
    ("customer_360", ("customer_id",), "merge"),
)
# Merged tables a row can leave, when silver deletes its source rows (a Salesforce-only customer merged
# into another, a RESTORE of a silver table, an erasure): their MERGE also deletes the keys of its scope
# (an increment's recomputed keys, a full build's whole table) the rows no longer hold. dim_customer is not
# one: a customer that leaves keeps its history, its current version closed.
ROWS_CAN_LEAVE = ("dim_product", "fact_orders", "customer_360")
# A table is published once the tables it references or aggregates are (others side by side): a reader never
# sees a fact whose surrogate key is not yet in its dimension.
PUBLISH_AFTER = {
    "fact_orders": {"dim_date", "dim_product", "dim_customer"},
    "daily_revenue_by_region_usd": {"fact_orders", "dim_customer"},
    "customer_360": {"fact_orders", "dim_customer"},
}
GOLD_TABLES = tuple(t for t, _, _ in PUBLISH)
# A "merge" table whose candidate has at most this many rows is replaced whole instead (only if it changed:
# a fingerprint compare, then one overwrite). Measured on the scale-1 lake (docs/benchmarks.md): an hourly
# gold publish took 17-20 s as diff + MERGE per table and 9 s as overwrites, because at these sizes each
# Spark job's fixed cost, not the rows, is the price; past a few million rows rewriting every file each hour
# costs more than a MERGE that rewrites the files holding changed keys.
REPLACE_MAX_ROWS = 2_000_000
# What each gold table is built from (table-level lineage: lakehouse.maintenance draws it).
INPUTS = {
    "dim_date": ("silver/orders",),
    "dim_product": ("silver/products", "silver/vendor_catalog"),
    "dim_customer": ("silver/customers_conformed", "gold/dim_customer"),
    "fact_orders": ("silver/orders", "gold/dim_customer", "gold/dim_product"),
    "daily_revenue_by_region_usd": ("gold/fact_orders", "gold/dim_customer"),
    "customer_360": (
        "gold/dim_customer",
        "gold/fact_orders",
        "silver/behaviour_events",
        "silver/realtime_events",
        "silver/sf_opportunities",
    ),
}
# Per silver input, the column whose changed values name the gold rows to recompute.
CHANGE_KEYS = {
    "orders": "order_id",
    "customers_conformed": "customer_id",
    "products": "product_id",
    "vendor_catalog": "product_id",
    "behaviour_events": "customer_id",
    "realtime_events": "customer_id",
    "sf_opportunities": "account_id",
}
MODES = ("incremental", "full")
BROADCAST_KEYS = 500_000  # a changed-key set up to this size is broadcast to the joins that read it


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


def scd2_apply(
    existing: DataFrame | None,
    incoming: DataFrame,
    *,
    key: str = "customer_id",
    left_at: datetime | None = None,
) -> DataFrame:
    """The complete SCD2 dimension after applying ``incoming`` (one row per customer, current state).

    * a new customer opens its first version at ``created_at`` (else ``source_updated_at``);
    * a changed ``attr_hash`` closes the current version (``valid_to`` = the change time, ``is_current``
      false) and opens a new one from ``source_updated_at`` — but never at or before the closed version's
      start, so versions never overlap;
    * a customer current in ``existing`` but missing from ``incoming`` has left (silver deleted it: a
      Salesforce-only customer whose contact now matches another customer): its current version is closed at
      ``left_at`` (the commit time of the silver version read; never at or before the version's start) and
      none opens — its history stays, and it is no longer a current customer;
    * an unchanged customer keeps its rows.
    Same input twice -> same output: nothing depends on the wall clock.
    """
    if existing is not None and left_at is None:
        raise ValueError(
            "scd2_apply: with existing versions, left_at (when missing customers left) is required"
        )
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
    left = cur.join(inc.select(F.col(key).alias("__ik")), F.col("__k") == F.col("__ik"), "left_anti")
    closing = changed.select(F.col(key).alias("__ck"), change_ts.alias("__to")).unionByName(
        left.select(
            F.col("__k").alias("__ck"),
            F.greatest(F.lit(left_at).cast("timestamp"), F.col("__from") + F.expr("INTERVAL 1 SECOND")).alias(
                "__to"
            ),
        )
    )
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
    rows: dict[str, int] = field(default_factory=dict)  # rows of each table as published (or would be)
    mode: str = "full"  # how the candidates were built: full | incremental | unchanged (silver did not move)
    recomputed: dict[str, int] = field(default_factory=dict)  # incremental: rows recomputed per table
    silver_versions: dict[str, int] = field(default_factory=dict)  # what gold was built from
    # wall-clock seconds per phase: changes (pin + change feed), build (candidates staged), accounting,
    # gate (the DQ suite), publish (the tables, and the suite's results beside them)
    seconds: dict[str, float] = field(default_factory=dict)
    staged_seconds: dict[str, float] = field(default_factory=dict)  # per table: built, materialised, counted
    # per table: a key naming the rows as published (or would be) — tables.fingerprint of a staged candidate,
    # tables.content_key of a published table in "unchanged" mode; the publish compares it with the fingerprint
    # the table's commit recorded, and the DQ gate finds its measurements of those rows by it
    fingerprints: dict[str, str] = field(default_factory=dict)


def _conform(df: DataFrame, table: str) -> DataFrame:
    from lakehouse.contracts import load_contract
    from lakehouse.silver import select_contract_columns

    return select_contract_columns(df, load_contract("gold", table).spark_schema())


def dim_date_of(spark, orders: DataFrame) -> DataFrame:
    """dim_date for the whole years the orders span (this year for no orders); the bench's bare script too."""
    bounds = orders.agg(F.min("order_date").alias("lo"), F.max("order_date").alias("hi")).collect()[0]
    return build_dim_date(spark, bounds["lo"] or date.today(), bounds["hi"] or date.today())


def build_candidates(
    spark,
    read_silver,
    *,
    existing_dim: DataFrame | None = None,
    left_at: datetime | None = None,
    stage: Callable[[str, DataFrame], DataFrame] | None = None,
) -> dict[str, DataFrame]:
    """Every gold table as a DataFrame, from silver frames given by ``read_silver(table)`` and the current
    dim_customer (``existing_dim``; None: there is none yet; ``left_at``: ``scd2_apply``).

    ``stage(table, df)`` is applied to each table as soon as it is built and what it returns is what the
    tables built from it read: ``build_gold`` materialises there, so the SCD2 dimension and the fact are
    computed once, not once more for every aggregate that reads them."""
    stage = stage or (lambda _table, df: df)
    orders = read_silver("orders")
    out = {"dim_date": stage("dim_date", dim_date_of(spark, orders))}
    out["dim_product"] = stage(
        "dim_product", build_dim_product(read_silver("products"), read_silver("vendor_catalog"))
    )
    out["dim_customer"] = stage(
        "dim_customer", scd2_apply(existing_dim, read_silver("customers_conformed"), left_at=left_at)
    )
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


@dataclass(frozen=True)
class KeySet:
    """Distinct key values, materialised (column ``k``), and whether they are few enough to broadcast. The
    broadcast hint goes on each join that reads the set, never on the set itself: a hinted frame inside a
    union or a MERGE source makes Spark warn that the hint "is not part of a join relation"."""

    frame: DataFrame
    small: bool

    def named(self, col: str) -> DataFrame:
        return self.frame.select(F.col("k").alias(col))

    def join_side(self, col: str) -> DataFrame:
        side = self.named(col)
        return F.broadcast(side) if self.small else side


def _only(df: DataFrame, keys: KeySet, col: str) -> DataFrame:
    """Rows of ``df`` whose ``col`` is among ``keys``."""
    return df.join(keys.join_side(col), col, "left_semi")


def _without(df: DataFrame, keys: KeySet, col: str) -> DataFrame:
    return df.join(keys.join_side(col), col, "left_anti")


def _replaced(current: DataFrame, recomputed: DataFrame, keys: KeySet, col: str) -> DataFrame:
    """The table ``current`` would be with the rows of ``keys`` replaced by ``recomputed``."""
    return _without(current, keys, col).unionByName(recomputed)


def build_increment(
    spark,
    read_silver,
    read_gold,
    changed: dict[str, DataFrame],
    *,
    left_at: datetime,
    stage: Callable[[str, DataFrame], DataFrame],
    stage_recomputed: Callable[..., DataFrame],
) -> dict[str, DataFrame]:
    """The gold rows the changed silver keys touch (``stage_recomputed(table, df)``; for a table in
    ``ROWS_CAN_LEAVE`` also ``scope=``: the keys those rows are the whole truth for, a key of it they lack
    has left) and every table as it would be with them replaced (``stage``; the DQ suite checks these).
    ``changed[t]`` holds the changed values of ``CHANGE_KEYS[t]``; ``read_gold(t)`` is the current gold
    table. Applied to the same silver, this gives the rows ``build_candidates`` gives — the e2e tests
    compare the two."""

    def keys(*frames: DataFrame | KeySet) -> KeySet:
        plain = [f.frame if isinstance(f, KeySet) else f for f in frames]
        out = plain[0].select(F.col(plain[0].columns[0]).alias("k"))
        for f in plain[1:]:
            out = out.unionByName(f.select(F.col(f.columns[0]).alias("k")))
        # materialised with its lineage cut: key sets are read by several frames, and the plans that
        # reference them (and each other) would otherwise grow until printing one exhausts the driver.
        # A checkpoint carries no size estimate, so say when a set is small enough to broadcast: the
        # semi/anti joins against whole tables then read each table once, without shuffling it.
        out = out.where(F.col("k").isNotNull()).distinct().localCheckpoint()
        return KeySet(out, out.count() <= BROADCAST_KEYS)

    orders = read_silver("orders")
    out = {"dim_date": stage("dim_date", dim_date_of(spark, orders))}

    products = keys(changed["products"], changed["vendor_catalog"])
    dim_product = stage_recomputed(
        "dim_product",
        build_dim_product(
            _only(read_silver("products"), products, "product_id"),
            _only(read_silver("vendor_catalog"), products, "product_id"),
        ),
        scope=products.named("product_id"),
    )
    out["dim_product"] = stage(
        "dim_product", _replaced(read_gold("dim_product"), dim_product, products, "product_id")
    )

    # SCD2 of the changed customers only: a customer missing from the input keeps its rows anyway
    customers = keys(changed["customers_conformed"])
    current_dim = read_gold("dim_customer")
    dim_customer = stage_recomputed(
        "dim_customer",
        scd2_apply(
            _only(current_dim, customers, "customer_id"),
            _only(read_silver("customers_conformed"), customers, "customer_id"),
            left_at=left_at,
        ),
    )
    out["dim_customer"] = stage(
        "dim_customer", _replaced(current_dim, dim_customer, customers, "customer_id")
    )

    # the changed orders (also those silver no longer holds), and every order of a changed customer (a new
    # version may now cover it)
    current_fact = read_gold("fact_orders")
    recomputed_orders = keys(changed["orders"], _only(orders, customers, "customer_id").select("order_id"))
    affected = _only(orders, recomputed_orders, "order_id")
    fact = stage_recomputed(
        "fact_orders",
        build_fact_orders(
            affected,
            _only(out["dim_customer"], keys(affected.select("customer_id")), "customer_id"),
            out["dim_product"],
        ),
        scope=recomputed_orders.named("order_id"),
    )
    out["fact_orders"] = stage("fact_orders", _replaced(current_fact, fact, recomputed_orders, "order_id"))
    before = _only(current_fact, recomputed_orders, "order_id")  # the same orders as gold had them

    # every (date, region) of a date the recomputed orders had or have: small, replaced whole
    dates = keys(fact.select("order_date"), before.select("order_date"))
    revenue = build_daily_revenue(_only(out["fact_orders"], dates, "order_date"), out["dim_customer"])
    out["daily_revenue_by_region_usd"] = stage(
        "daily_revenue_by_region_usd",
        _replaced(read_gold("daily_revenue_by_region_usd"), revenue, dates, "order_date"),
    )

    # every customer whose versions, orders (as they were or are), events or open opportunities changed
    current_customers = out["dim_customer"].where("is_current")
    touched = keys(
        customers,
        fact.select("customer_id"),
        before.select("customer_id"),
        changed["behaviour_events"],
        changed["realtime_events"],
        _only(current_customers, keys(changed["sf_opportunities"]), "sf_account_id").select("customer_id"),
    )
    accounts = keys(_only(current_customers, touched, "customer_id").select("sf_account_id"))
    c360 = stage_recomputed(
        "customer_360",
        build_customer_360(
            _only(out["dim_customer"], touched, "customer_id"),
            _only(out["fact_orders"], touched, "customer_id"),
            _only(read_silver("behaviour_events"), touched, "customer_id"),
            _only(read_silver("realtime_events"), touched, "customer_id"),
            _only(read_silver("sf_opportunities"), accounts, "account_id"),
        ),
        scope=touched.named("customer_id"),
    )
    out["customer_360"] = stage(
        "customer_360", _replaced(read_gold("customer_360"), c360, touched, "customer_id")
    )
    return out


def build_gold(ctx, *, mode: str = "incremental") -> GoldResult:
    from lakehouse import dq
    from lakehouse import tables as io
    from lakehouse.accounting import assert_balanced
    from lakehouse.contracts import load_contract
    from lakehouse.feeds import read_changes

    if mode not in MODES:
        raise ValueError(f"gold mode {mode!r}; allowed: {', '.join(MODES)}")
    spark, cfg = ctx.spark, ctx.cfg
    result = GoldResult()
    if not io.exists(spark, cfg, "silver", "orders"):
        raise RuntimeError("silver.orders does not exist: run bronze_to_silver before silver_to_gold")

    clock = [time.monotonic()]

    def lap(phase: str) -> None:
        now = time.monotonic()
        result.seconds[phase] = round(now - clock[0], 2)
        clock[0] = now

    # 1. one pinned snapshot of silver and of gold
    before = {t: io.version(spark, cfg, "gold", t) for t in GOLD_TABLES}
    feed = read_changes(
        spark,
        cfg,
        ctx.state,
        JOB,
        "silver",
        {t: [c] for t, c in CHANGE_KEYS.items()},
        incremental=mode == "incremental" and None not in before.values(),
        log=ctx.log,
    )
    pinned, changed = feed.versions, feed.changed

    def read_silver(table: str) -> DataFrame:
        if pinned.get(table) is None:
            return spark.createDataFrame([], load_contract("silver", table).spark_schema())
        return io.read(spark, cfg, "silver", table, version=pinned[table])

    def read_gold(table: str) -> DataFrame:
        return io.read(spark, cfg, "gold", table, version=before[table])

    result.mode = "full" if changed is None else ("unchanged" if feed.up_to_date else "incremental")
    result.silver_versions = {t: v for t, v in pinned.items() if v is not None}
    left_at = None  # when a customer missing from the silver read left: that version's commit time
    if before["dim_customer"] is not None and result.mode != "unchanged":
        if pinned.get("customers_conformed") is None:
            raise RuntimeError(
                "silver.customers_conformed does not exist but gold.dim_customer does: every customer would "
                "be closed; rebuild silver (bronze_to_silver --mode full) before silver_to_gold"
            )
        left_at = io.commit_time(spark, cfg, "silver", "customers_conformed", pinned["customers_conformed"])
    lap("changes")

    # 2. materialise the candidates once (DQ and publish read the same blocks; should a cached block be
    #    lost, Spark recomputes it from the pinned inputs, which gives the same rows)
    staged: dict[str, DataFrame] = {}  # table -> the whole table as it would be published
    recomputed: dict[str, DataFrame] = {}  # incremental: table -> only the rows recomputed
    scopes: dict[str, DataFrame] = {}  # incremental: table -> the keys its recomputed rows replace

    measured: dict[str, dict] = {}  # table -> the DQ gate's aggregates over the staged rows

    def stage(table: str, df: DataFrame) -> DataFrame:
        t0 = time.monotonic()
        staged[table] = _conform(df, table).persist()
        # the job that materialises the table also counts and fingerprints it, and computes the gate's
        # aggregation pass (one scan, not two)
        aggregates = dq.row_aggregates("gold", f"gold/{table}", staged[table].columns)
        result.rows[table], result.fingerprints[table], measured[table] = io.fingerprint_and_aggregate(
            staged[table], aggregates
        )
        result.staged_seconds[table] = round(time.monotonic() - t0, 2)
        return staged[table]

    def stage_recomputed(table: str, df: DataFrame, scope: DataFrame | None = None) -> DataFrame:
        t0 = time.monotonic()
        # lineage cut as for the key sets (a lost block fails the run, which is then re-run as a whole)
        recomputed[table] = _conform(df, table).localCheckpoint()
        result.recomputed[table] = recomputed[table].count()
        result.staged_seconds[f"{table} (recomputed)"] = round(time.monotonic() - t0, 2)
        if scope is not None:
            scopes[table] = scope
        return recomputed[table]

    try:
        if result.mode == "unchanged":
            # no silver input moved since the last build: the published tables are what a build would give.
            # They still pass the gate below (results, pass rate and freshness metrics keep flowing, and
            # freshness fails as time passes); nothing is staged or published.
            for table in GOLD_TABLES:
                staged[table] = read_gold(table)
                key = io.content_key(spark, cfg, "gold", table)
                if key is not None and key[0] == before[table]:
                    result.fingerprints[table] = key[1]
                # the recorded fingerprint names the row count: no Spark job to count the table again
                rows = io.fingerprint_rows(result.fingerprints.get(table))
                result.rows[table] = staged[table].count() if rows is None else rows
        elif changed is None:
            existing_dim = None if before["dim_customer"] is None else read_gold("dim_customer")
            build_candidates(spark, read_silver, existing_dim=existing_dim, left_at=left_at, stage=stage)
        else:
            build_increment(
                spark,
                read_silver,
                read_gold,
                changed,
                left_at=left_at,
                stage=stage,
                stage_recomputed=stage_recomputed,
            )
        lap("build")
        ctx.log.info(
            "gold candidates staged",
            extra={
                "mode": result.mode,
                "rows": result.rows,
                "recomputed": result.recomputed,
                "silver_versions": result.silver_versions,
                "staged_seconds": result.staged_seconds,
            },
        )

        # accounting: every silver order is one fact row (a join that lost or doubled orders fails the run)
        n_orders = read_silver("orders").count()
        n_customers = read_silver("customers_conformed").count()
        current = staged["dim_customer"].where("is_current").count()
        result.accounting = {
            "gold.fact_orders": Accounting("gold.fact_orders", n_orders, result.rows["fact_orders"], 0, 0),
            "gold.dim_customer": Accounting("gold.dim_customer", n_customers, current, 0, 0),
        }
        assert_balanced(result.accounting)
        lap("accounting")

        # 3. the DQ gate on the tables as they would be published: the aggregation pass came with staging;
        #    the referential anti-joins it measured before, on rows of the same fingerprints, are not run again
        suite = dq.run_suite(
            spark,
            cfg,
            "gold",
            ctx.run_id,
            ctx.execution_date,
            tables=staged,
            content_keys=result.fingerprints,
            aggregates=measured,
            metrics=ctx.metrics,
            log=ctx.log,
        )
        result.dq = suite
        if not suite.passed_critical:
            written = dq.write_results(spark, cfg, suite)
            dq.publish_failure(cfg, suite, ctx.job, written["report"], ctx.log)
            failures = "; ".join(f"{r.table} {r.name}: {r.message}" for r in suite.critical_failures[:10])
            raise GoldNotPublished(
                f"{len(suite.critical_failures)} critical gold DQ check(s) failed, nothing was published: {failures}",
                suite,
            )
        lap("gate")

        # 4. publish everything, rolling back this run's commits if a publish fails; the gate's results (it
        #    passed) are written beside it, each a few Delta commits of driver round trips: should either
        #    fail, the other finishes and the job fails (a re-run publishes nothing new and writes them again)
        def publish_or_record(piece: str) -> None:
            if piece == "dq_results":
                dq.write_results(spark, cfg, suite)
            elif result.mode != "unchanged":  # unchanged: nothing to publish, the positions stand as recorded
                _publish(ctx, staged, recomputed, scopes, before, result)
                feed.record(ctx.state, JOB)

        run_all(["publish", "dq_results"], {}, publish_or_record, 2, thread_name="gold-publish")
        lap("publish")
    finally:
        for df in (*staged.values(), *recomputed.values()):
            df.unpersist()
        feed.release()
    ctx.log.info(
        "gold published",
        extra={"tables": result.published, "rows": result.rows, "phase_seconds": result.seconds},
    )
    return result


def _publish(ctx, staged, recomputed, scopes, before, result: GoldResult) -> None:
    """Publish every table, each once the tables in ``PUBLISH_AFTER`` are, up to ``TABLES_AT_ONCE`` side by
    side; after a failure none starts, the running ones finish, and every table this run committed to is
    rolled back."""
    from lakehouse import tables as io
    from lakehouse.contracts import load_contract

    spark, cfg = ctx.spark, ctx.cfg
    how_of = {table: (keys, how) for table, keys, how in PUBLISH}

    def publish(table: str) -> tuple[str, int, int, float]:
        """(how it was written: replace | merge, rows written, rows deleted, seconds)"""
        keys, how = how_of[table]
        contract = load_contract("gold", table)
        if _fail_publish_at() == table:
            raise RuntimeError(f"injected failure before publishing gold.{table} (LAKEHOUSE_FAIL_PUBLISH_AT)")
        t0 = time.monotonic()
        rows = result.rows.get(table)  # None: not staged through stage() (unknown size: merge)
        if how == "replace" or (rows is not None and rows <= REPLACE_MAX_ROWS):
            written = io.overwrite(
                spark,
                cfg,
                "gold",
                table,
                staged[table],  # the whole table as it is to be (also after an incremental build)
                partition_by=contract.partition_by,
                overwrite_schema=True,
                only_if_changed=True,  # an unchanged table gets no new version
                fingerprint=result.fingerprints.get(table),
            )
            return "replace", written, 0, time.monotonic() - t0
        stats = io.merge(
            spark,
            cfg,
            "gold",
            table,
            recomputed.get(table, staged[table]),
            list(keys),
            partition_by=contract.partition_by,
            when_matched="update_if_changed",
            dedupe=False,
            changed_only=True,  # recomputed rows are mostly as gold holds them: MERGE what moved
            # a full build is the whole table; an increment the whole truth for its scope's keys
            delete_missing=scopes.get(table, "all") if table in ROWS_CAN_LEAVE else None,
        )
        return "merge", stats.inserted + stats.updated, stats.deleted, time.monotonic() - t0

    started: list[str] = []

    def published(table: str, outcome: tuple[str, int, int, float]) -> None:
        how, written, deleted, seconds = outcome
        result.published.append(table)
        ctx.log.info(
            "gold table published",
            extra={
                "table": table,
                "how": how,
                "rows_written": written,
                "rows_deleted": deleted,
                "seconds": round(seconds, 2),
            },
        )

    try:
        run_all(
            GOLD_TABLES,
            PUBLISH_AFTER,
            publish,
            TABLES_AT_ONCE,
            on_start=started.append,
            on_result=published,
            thread_name="gold",
        )
    except Exception:
        # every started table, also one whose publish raised after its commit
        _rollback(spark, cfg, before, started, ctx.log)
        raise


def _fail_publish_at() -> str | None:
    """Test switch: ``LAKEHOUSE_FAIL_PUBLISH_AT=<gold table>`` raises just before that table is published
    (proves the rollback of the tables already published in the run)."""
    import os

    return os.environ.get("LAKEHOUSE_FAIL_PUBLISH_AT") or None


def _rollback(spark, cfg, before: dict[str, int | None], published: list[str], log) -> None:
    """Restore each of ``published`` (the tables this run started publishing) to its version ``before``."""
    from delta.tables import DeltaTable

    from lakehouse import tables as io

    for table in reversed(published):
        v = before.get(table)
        p = io.path(cfg, "gold", table)
        try:
            if io.version(spark, cfg, "gold", table) == v:
                continue  # nothing was committed to it in this run (changed_only found no change, or absent)
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


def run_step(ctx, *, mode: str = "incremental") -> GoldResult:
    """The ``transform.py --step gold`` body."""
    from lakehouse.accounting import record

    result = build_gold(ctx, mode=mode)
    record(ctx, result.accounting)
    return result
