"""Bronze -> silver: typed, deduplicated, currency-conformed, cross-source matched.

The transformations are pure functions ``DataFrame -> DataFrame`` (unit-tested on hand-written frames);
``build_silver(ctx)`` is the I/O around them: read what bronze gained past this job's watermark, transform,
quarantine what must not pass, MERGE the rest, account for every row, then advance the watermark.

Quarantine rules (a row is never silently dropped; the first failing rule names the reason):
``null_key``, ``unknown_currency`` (not USD and never seen in the FX feed), ``no_fx_rate`` (known
currency, but no rate on or before the row's date), ``orphan_fk`` (references a customer, product, order or
account silver does not have), ``negative_quantity`` / ``zero_quantity``, ``invalid_fx_rate``.

Incremental by design: each run reads bronze rows whose ``_ingested_at`` is past the watermark
(``bronze_to_silver``/<table> in the state store). ``--mode full`` re-reads all of bronze, e.g. to give
orders quarantined as ``orphan_fk`` a second chance once their customer arrived. ``--mode backfill
--since D1 --until D2`` re-derives the bronze rows loaded on those execution dates (``_execution_date``),
watermark aside, and MERGEs them with the ``repair`` policy: a silver row the same load produced is
rewritten when it differs (a fixed transformation, a damaged table), a later version is never reverted.
Every mode's MERGE is idempotent: re-running a batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse import quarantine
from lakehouse.accounting import Accounting
from lakehouse.concurrency import TABLES_AT_ONCE, run_all

JOB = "bronze_to_silver"
REJECT = "_reject_reason"
REJECT_DETAIL = "_reject_detail"
META_KEEP = ("_batch_id", "_ingested_at", "_source_system")


@dataclass(frozen=True)
class Money:
    """An amount to convert to USD at the FX rate of ``date_col``'s date."""

    amount: str
    currency: str
    date_col: str
    out: str  # the USD column written next to the amount


@dataclass(frozen=True)
class ForeignKey:
    column: str
    ref_table: str  # silver table
    ref_column: str


@dataclass(frozen=True)
class SilverSpec:
    table: str
    keys: tuple[str, ...]
    order_col: str | None  # the source's change timestamp; None -> the latest load (_ingested_at) wins
    money: tuple[Money, ...] = ()
    fks: tuple[ForeignKey, ...] = ()
    emails: tuple[str, ...] = ()
    upper: tuple[str, ...] = ()  # code columns normalised to upper case (currency, country)
    derived: tuple[str, ...] = field(default=())  # documentation only: columns silver adds

    @property
    def merge_policy(self) -> str:
        return "update_if_newer" if self.order_col else "update_if_changed"


# Processing order: a table starts once the tables it references (and fx_rates, for money) are merged.
SPECS: tuple[SilverSpec, ...] = (
    SilverSpec("fx_rates", ("rate_date", "currency"), None, upper=("currency",)),
    SilverSpec("customers", ("customer_id",), "updated_at", emails=("email",), upper=("country", "region")),
    SilverSpec(
        "products",
        ("product_id",),
        "updated_at",
        money=(Money("list_price", "currency", "updated_at", "list_price_usd"),),
        upper=("currency",),
    ),
    SilverSpec("sf_accounts", ("account_id",), "system_modstamp", upper=("billing_country",)),
    SilverSpec("sf_contacts", ("contact_id",), "system_modstamp", emails=("email",)),
    SilverSpec("hr_employees", ("employee_id",), None, emails=("email",), upper=("region",)),
    SilverSpec(
        "orders",
        ("order_id",),
        "updated_at",
        money=(Money("unit_price", "currency", "order_ts", "unit_price_usd"),),
        fks=(
            ForeignKey("customer_id", "customers", "customer_id"),
            ForeignKey("product_id", "products", "product_id"),
        ),
        upper=("currency",),
    ),
    SilverSpec(
        "behaviour_events",
        ("event_id",),
        "event_ts",
        fks=(ForeignKey("customer_id", "customers", "customer_id"),),
    ),
    SilverSpec(
        "realtime_events",
        ("event_id",),
        "event_ts",
        money=(Money("amount", "currency", "event_ts", "amount_usd"),),
        fks=(ForeignKey("customer_id", "customers", "customer_id"),),
        upper=("currency",),
    ),
    SilverSpec(
        "sf_opportunities",
        ("opportunity_id",),
        "system_modstamp",
        money=(Money("amount", "currency", "close_date", "amount_usd"),),
        fks=(ForeignKey("account_id", "sf_accounts", "account_id"),),
        upper=("currency",),
    ),
    SilverSpec(
        "vendor_catalog",
        ("vendor_id", "product_id"),
        None,
        money=(Money("supply_price", "currency", "_ingested_at", "supply_price_usd"),),
        fks=(ForeignKey("product_id", "products", "product_id"),),
        upper=("currency", "country"),
    ),
    SilverSpec(
        "erp_invoices",
        ("invoice_id",),
        None,
        money=(Money("amount", "currency", "invoice_date", "amount_usd"),),
        fks=(ForeignKey("order_id", "orders", "order_id"),),
        upper=("currency",),
    ),
)
SPEC_BY_TABLE = {s.table: s for s in SPECS}
CONFORMED_TABLE = "customers_conformed"
# Attributes of the conformed customer that SCD2 in gold tracks (a change opens a new version).
TRACKED_CUSTOMER_ATTRIBUTES = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "region",
    "segment",
    "sf_account_id",
    "account_name",
    "industry",
)


# ---------------------------------------------------------------------------------------------- pure
def normalise_email(col: Column) -> Column:
    """Lower-case, trimmed; an empty string is no email at all (it must not match other empties)."""
    e = F.lower(F.trim(col))
    return F.when(e == "", F.lit(None)).otherwise(e)


def standardise(df: DataFrame, spec: SilverSpec) -> DataFrame:
    """Typing and normalisation: trimmed strings, upper-case codes, normalised emails."""
    out = df
    for f in df.schema.fields:
        if f.dataType.simpleString() == "string" and not f.name.startswith("_"):
            out = out.withColumn(f.name, F.trim(F.col(f.name)))
    for c in spec.upper:
        if c in out.columns:
            out = out.withColumn(c, F.upper(F.col(c)))
    for c in spec.emails:
        if c in out.columns:
            out = out.withColumn(c, normalise_email(F.col(c)))
    return out


def flag(df: DataFrame, condition: Column, reason: str, detail: Column | str) -> DataFrame:
    """Mark rows failing ``condition`` with ``reason`` unless an earlier rule already marked them."""
    if REJECT not in df.columns:
        df = df.withColumn(REJECT, F.lit(None).cast("string")).withColumn(
            REJECT_DETAIL, F.lit(None).cast("string")
        )
    hit = F.col(REJECT).isNull() & F.coalesce(condition, F.lit(False))
    detail_col = F.lit(detail) if isinstance(detail, str) else detail
    return df.withColumn(REJECT_DETAIL, F.when(hit, detail_col).otherwise(F.col(REJECT_DETAIL))).withColumn(
        REJECT, F.when(hit, F.lit(reason)).otherwise(F.col(REJECT))
    )


def deduplicate(df: DataFrame, keys: Sequence[str], order_col: str | None) -> DataFrame:
    """Latest version per business key: highest ``order_col``, then latest load, then a row hash
    (so the choice between two conflicting versions is the same on every run)."""
    business = [c for c in df.columns if not c.startswith("_")]
    order = [F.col(order_col).desc_nulls_last()] if order_col else []
    if "_ingested_at" in df.columns:
        order.append(F.col("_ingested_at").desc_nulls_last())
    order.append(F.xxhash64(*[F.col(c) for c in business]).desc())
    w = Window.partitionBy(*[F.col(k) for k in keys]).orderBy(*order)
    return df.withColumn("__rn", F.row_number().over(w)).where("__rn = 1").drop("__rn")


def fx_as_of(pairs: DataFrame, fx: DataFrame) -> DataFrame:
    """For each (currency, d) in ``pairs``: the latest rate with rate_date <= d (an as-of join done with
    one window over the few distinct pairs instead of a range join over every row)."""
    wanted = pairs.select(
        "currency",
        "d",
        F.lit(None).cast("decimal(18,8)").alias("usd_per_unit"),
        F.lit(None).cast("date").alias("rate_date"),
        F.lit(1).alias("__wanted"),
    )
    rates = fx.select(
        "currency",
        F.col("rate_date").alias("d"),
        F.col("usd_per_unit").cast("decimal(18,8)"),
        "rate_date",
        F.lit(0).alias("__wanted"),
    )
    w = (
        Window.partitionBy("currency")
        .orderBy("d", "__wanted")
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    return (
        wanted.unionByName(rates)
        .withColumn("fx_rate", F.last("usd_per_unit", ignorenulls=True).over(w))
        .withColumn("fx_rate_date", F.last("rate_date", ignorenulls=True).over(w))
        .where("__wanted = 1")
        .select("currency", "d", "fx_rate", "fx_rate_date")
    )


def convert_to_usd(
    df: DataFrame, fx: DataFrame, money: Money, *, known: DataFrame | None = None
) -> DataFrame:
    """Add ``money.out`` (USD, 2 decimals) and ``fx_rate``; flag ``unknown_currency`` / ``no_fx_rate``.

    ``fx`` holds (rate_date, currency, usd_per_unit); USD is always 1. A NULL amount with a NULL currency is
    simply no amount (stays NULL); an amount without a known currency is quarantined, never guessed.
    """
    cur, amt = F.col(money.currency), F.col(money.amount)
    known = known if known is not None else fx.select("currency").distinct()
    known = known.select(F.col("currency").alias("__known")).distinct()
    d = F.to_date(F.col(money.date_col))
    pairs = df.where(cur.isNotNull() & (cur != "USD")).select(cur.alias("currency"), d.alias("d")).distinct()
    rates = fx_as_of(pairs, fx).withColumnRenamed("currency", "__cur").withColumnRenamed("d", "__d")
    out = (
        df.join(F.broadcast(known), cur == F.col("__known"), "left")
        .join(rates, (cur == F.col("__cur")) & (d == F.col("__d")), "left")
        .withColumn(
            "fx_rate",
            F.when(cur == "USD", F.lit(1).cast("decimal(18,8)")).otherwise(F.col("fx_rate")),
        )
    )
    out = flag(
        out,
        amt.isNotNull() & (cur.isNull() | ((cur != "USD") & F.col("__known").isNull())),
        "unknown_currency",
        F.concat(
            F.lit(f"{money.currency}="), F.coalesce(cur, F.lit("NULL")), F.lit(" is not in the FX feed")
        ),
    )
    out = flag(
        out,
        amt.isNotNull() & F.col("fx_rate").isNull(),
        "no_fx_rate",
        F.concat(
            F.lit(f"no {money.currency} rate on or before "), F.coalesce(d.cast("string"), F.lit("NULL"))
        ),
    )
    return out.withColumn(
        money.out, F.round(amt.cast("decimal(18,2)") * F.col("fx_rate"), 2).cast("decimal(18,2)")
    ).drop("__known", "__cur", "__d", "fx_rate_date")


def flag_orphans(df: DataFrame, fk: ForeignKey, ref: DataFrame) -> DataFrame:
    """``orphan_fk`` for a non-NULL reference the referenced silver table does not hold."""
    keys = ref.select(F.col(fk.ref_column).alias("__ref")).distinct()
    joined = df.join(keys, F.col(fk.column) == F.col("__ref"), "left")
    return flag(
        joined,
        F.col(fk.column).isNotNull() & F.col("__ref").isNull(),
        "orphan_fk",
        F.concat(F.lit(f"{fk.column}="), F.col(fk.column), F.lit(f" not in silver.{fk.ref_table}")),
    ).drop("__ref")


def apply_rules(
    df: DataFrame,
    spec: SilverSpec,
    *,
    fx: DataFrame | None = None,
    known_currencies: DataFrame | None = None,
    refs: dict[str, DataFrame] | None = None,
) -> DataFrame:
    """All silver rules of one table on a deduplicated frame; adds REJECT/REJECT_DETAIL (+ derived cols)."""
    out = flag(
        df,
        F.greatest(*[F.col(k).isNull() for k in spec.keys])
        if len(spec.keys) > 1
        else F.col(spec.keys[0]).isNull(),
        "null_key",
        "business key " + ",".join(spec.keys) + " is NULL",
    )
    if spec.table == "fx_rates":
        out = flag(out, F.col("usd_per_unit") <= 0, "invalid_fx_rate", "usd_per_unit <= 0")
    if spec.table == "orders":
        out = flag(
            out, F.col("quantity") < 0, "negative_quantity", F.concat(F.lit("quantity="), F.col("quantity"))
        )
        out = flag(out, F.col("quantity") == 0, "zero_quantity", "quantity=0")
    for fk in spec.fks:
        out = flag_orphans(out, fk, (refs or {})[fk.ref_table])
    for money in spec.money:
        if fx is None:
            raise ValueError(f"silver.{spec.table} converts {money.amount} to USD but no FX rates were given")
        out = convert_to_usd(out, fx, money, known=known_currencies)
    if spec.table == "orders":
        out = (
            out.withColumn(
                "amount",
                (F.col("quantity").cast("decimal(18,2)") * F.col("unit_price")).cast("decimal(18,2)"),
            )
            .withColumn(
                "amount_usd",
                (F.col("quantity").cast("decimal(18,2)") * F.col("unit_price_usd")).cast("decimal(18,2)"),
            )
            .withColumn("order_date", F.to_date("order_ts"))
        )
    return out


def split_rejects(
    df: DataFrame, source_table: str, execution_date, original_columns: Sequence[str]
) -> tuple[DataFrame, DataFrame]:
    """(rows that pass, quarantine rows in the shape of ``glue/quarantine/quarantined_rows.yaml``)."""
    good = df.where(F.col(REJECT).isNull()).drop(REJECT, REJECT_DETAIL)
    raw = F.to_json(F.struct(*[F.col(c) for c in original_columns]))
    bad = (
        df.where(F.col(REJECT).isNotNull())
        .withColumn("__raw", raw)
        .select(
            F.lit(source_table).alias("source_table"),
            F.col(REJECT).alias("reason_code"),
            F.col(REJECT_DETAIL).alias("reason"),
            F.col("__raw").alias("raw_record"),
            F.sha2(F.col("__raw"), 256).alias("record_hash"),
            F.lit(1).alias("occurrences"),  # rows are unique per business key after deduplication
            F.col("_batch_id").cast("string")
            if "_batch_id" in df.columns
            else F.lit("unknown").alias("_batch_id"),
            (F.col("_source_system") if "_source_system" in df.columns else F.lit("derived")).alias(
                "_source_system"
            ),
            F.lit(execution_date).cast("date").alias("_execution_date"),
            F.current_timestamp().alias("_ingested_at"),
        )
    )
    return good, bad


def conform_customers(
    customers: DataFrame,
    contacts: DataFrame,
    accounts: DataFrame,
    behaviour_customer_ids: DataFrame,
    realtime_customer_ids: DataFrame,
) -> DataFrame:
    """One conformed customer per Snowflake customer (plus Salesforce contacts no customer matches).

    Snowflake <-> Salesforce contacts match on the normalised email (several contacts with one email: the
    most recently modified wins); accounts come through the contact; behaviour (Redshift) and real-time
    (Kafka) events match on customer_id. ``match_source`` lists where the customer was seen, e.g.
    ``snowflake+salesforce+redshift+kafka``.
    """
    ct = (
        contacts.where(F.col("email").isNotNull())
        .withColumn(
            "__rn",
            F.row_number().over(
                Window.partitionBy("email").orderBy(
                    F.col("system_modstamp").desc(), F.col("contact_id").desc()
                )
            ),
        )
        .where("__rn = 1")
        .drop("__rn")
    )
    acc = accounts.select(
        F.col("account_id").alias("sf_account_id"),
        "account_name",
        "industry",
        "billing_country",
        F.col("system_modstamp").alias("__acc_ts"),
    )
    sf = ct.select(
        F.col("contact_id").alias("sf_contact_id"),
        F.col("account_id").alias("__contact_account"),
        F.col("email").alias("__sf_email"),
        F.col("first_name").alias("__sf_first"),
        F.col("last_name").alias("__sf_last"),
        F.col("phone").alias("__sf_phone"),
        F.col("system_modstamp").alias("__ct_ts"),
    ).join(acc, F.col("__contact_account") == F.col("sf_account_id"), "left")

    c = customers.select(
        "customer_id",
        "first_name",
        "last_name",
        normalise_email(F.col("email")).alias("email"),
        "phone",
        "country",
        "region",
        "segment",
        "created_at",
        "updated_at",
        F.lit(True).alias("__in_snowflake"),
    )
    matched = c.join(sf, c["email"] == sf["__sf_email"], "full")
    ids = behaviour_customer_ids.select(F.col("customer_id").alias("__bid")).distinct()
    rids = realtime_customer_ids.select(F.col("customer_id").alias("__rid")).distinct()
    in_sf = F.col("sf_contact_id").isNotNull()
    out = (
        matched.withColumn(
            "customer_id", F.coalesce(F.col("customer_id"), F.concat(F.lit("sf:"), F.col("sf_contact_id")))
        )
        .join(ids, F.col("customer_id") == F.col("__bid"), "left")
        .join(rids, F.col("customer_id") == F.col("__rid"), "left")
    )
    in_sn = F.col("__in_snowflake").isNotNull()
    return out.select(
        "customer_id",
        F.coalesce("first_name", "__sf_first").alias("first_name"),
        F.coalesce("last_name", "__sf_last").alias("last_name"),
        F.coalesce("email", "__sf_email").alias("email"),
        F.coalesce("phone", "__sf_phone").alias("phone"),
        F.coalesce("country", "billing_country").alias("country"),
        "region",
        "segment",
        "sf_contact_id",
        F.when(in_sf, F.col("sf_account_id")).alias("sf_account_id"),
        "account_name",
        "industry",
        in_sn.alias("in_snowflake"),
        in_sf.alias("in_salesforce"),
        F.col("__bid").isNotNull().alias("in_behaviour_events"),
        F.col("__rid").isNotNull().alias("in_realtime_events"),
        F.concat_ws(
            "+",
            F.when(in_sn, F.lit("snowflake")),
            F.when(in_sf, F.lit("salesforce")),
            F.when(F.col("__bid").isNotNull(), F.lit("redshift")),
            F.when(F.col("__rid").isNotNull(), F.lit("kafka")),
        ).alias("match_source"),
        F.coalesce("created_at", "__ct_ts").alias("created_at"),
        # the last change in any matched source: SCD2 in gold dates a new version from it
        F.greatest("updated_at", "__ct_ts", "__acc_ts").alias("source_updated_at"),
    )


def select_contract_columns(df: DataFrame, schema) -> DataFrame:
    """Cast and order to the silver contract (missing columns are a bug here, not NULLs)."""
    missing = [f.name for f in schema.fields if f.name not in df.columns]
    if missing:
        raise ValueError(f"silver frame lacks contract column(s) {missing}; has {df.columns}")
    return df.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields])


# ---------------------------------------------------------------------------------------------- I/O
def _watermark_filter(df: DataFrame, watermark: str | None) -> DataFrame:
    if watermark is None:
        return df
    return df.where(F.col("_ingested_at") > F.to_timestamp(F.lit(watermark)))


def _count_and_max_ingested(df: DataFrame) -> tuple[int, str | None]:
    """Rows of ``df`` and its latest ``_ingested_at`` (the next watermark), in one pass."""
    row = df.agg(
        F.count(F.lit(1)).alias("n"),
        F.date_format(F.max("_ingested_at"), "yyyy-MM-dd HH:mm:ss.SSSSSS").alias("m"),
    ).collect()[0]
    return row["n"], row["m"]


MODES = ("incremental", "full", "backfill")


def _depends_on(spec: SilverSpec) -> set[str]:
    """The silver tables ``spec``'s rules read: foreign-key targets, and FX rates for money columns."""
    return {fk.ref_table for fk in spec.fks} | ({"fx_rates"} if spec.money else set())


def _bronze_rows(df: DataFrame, mode: str, watermark: str | None, since, until) -> DataFrame:
    if mode == "backfill":
        return df.where(F.col("_execution_date").between(F.lit(since), F.lit(until)))
    return _watermark_filter(df, watermark)


def build_silver(
    ctx,
    *,
    mode: str = "incremental",
    tables: Sequence[str] | None = None,
    since=None,
    until=None,
    parallel: int | None = None,
) -> dict[str, Accounting]:
    """Read bronze past the watermark (or, ``mode="backfill"``, loaded on the execution dates
    ``since``..``until``), transform, quarantine, MERGE into silver; return the accounting. Up to
    ``parallel`` (default ``TABLES_AT_ONCE``) tables at once."""
    from lakehouse import tables as io
    from lakehouse.accounting import assert_balanced
    from lakehouse.contracts import load_contract

    if mode not in MODES:
        raise ValueError(f"silver mode {mode!r}; allowed: {', '.join(MODES)}")
    if (mode == "backfill") != (since is not None and until is not None):
        raise ValueError("silver: since and until are given together, and only with mode='backfill'")
    if mode == "backfill" and since > until:
        raise ValueError(f"silver backfill: since {since} is after until {until}")
    spark, cfg = ctx.spark, ctx.cfg
    wanted = list(tables) if tables else [s.table for s in SPECS]
    unknown = sorted(set(wanted) - set(SPEC_BY_TABLE))
    if unknown:
        raise ValueError(f"unknown silver table(s) {unknown}; known: {sorted(SPEC_BY_TABLE)}")

    def silver_or_empty(table: str) -> DataFrame:
        if io.exists(spark, cfg, "silver", table):
            return io.read(spark, cfg, "silver", table)
        return spark.createDataFrame([], load_contract("silver", table).spark_schema())

    def build_table(table: str) -> Accounting:
        spec = SPEC_BY_TABLE[table]
        name = f"silver.{spec.table}"
        if not io.exists(spark, cfg, "bronze", spec.table):
            ctx.log.warning("bronze table missing; nothing to do", extra={"table": spec.table})
            return Accounting(name)
        watermark = ctx.state.get_watermark(JOB, spec.table) if mode == "incremental" else None
        raw = _bronze_rows(io.read(spark, cfg, "bronze", spec.table), mode, watermark, since, until).persist()
        try:
            rows_in, max_ingested = _count_and_max_ingested(raw)
            if rows_in == 0:
                ctx.log.info(
                    "nothing new past the watermark", extra={"table": spec.table, "watermark": watermark}
                )
                return Accounting(name)
            contract = load_contract("silver", spec.table)
            latest = deduplicate(standardise(raw, spec), spec.keys, spec.order_col)
            fx = known = None
            if spec.money:
                fx = silver_or_empty("fx_rates")
                known = fx.select("currency").distinct()
            refs = {fk.ref_table: silver_or_empty(fk.ref_table) for fk in spec.fks}
            checked = apply_rules(latest, spec, fx=fx, known_currencies=known, refs=refs).persist()
            try:
                by_reason = {
                    r[REJECT]: r["n"]
                    for r in checked.groupBy(REJECT).agg(F.count(F.lit(1)).alias("n")).collect()
                }
                # the rule joins are against distinct keys, so checked has exactly one row per latest version
                n_latest = sum(by_reason.values())
                good, bad = split_rejects(checked, name, ctx.execution_date, raw.columns)
                quarantined = {k: v for k, v in by_reason.items() if k is not None}
                n_bad = sum(quarantined.values())
                if n_bad:
                    quarantine.write(spark, cfg, bad)  # the one quarantine table of every stage
                stats = io.merge(
                    spark,
                    cfg,
                    "silver",
                    spec.table,
                    select_contract_columns(good, contract.spark_schema()),
                    list(spec.keys),
                    partition_by=contract.partition_by,
                    when_matched="repair" if mode == "backfill" else spec.merge_policy,
                    order_col=spec.order_col or (io.LOAD_COLUMN if mode == "backfill" else None),
                    dedupe=False,
                    change_feed=True,  # gold recomputes what the feed says changed
                )
                acc = Accounting(name, rows_in, stats.rows_in, rows_in - n_latest, n_bad, quarantined)
                assert_balanced([acc])
                ctx.log.info(
                    "silver table merged",
                    extra={
                        "table": spec.table,
                        **acc.to_dict(),
                        "inserted": stats.inserted,
                        "updated": stats.updated,
                    },
                )
            finally:
                checked.unpersist()
            # a backfill re-derives history: the incremental position stays where it is
            new_wm = None if mode == "backfill" else max_ingested
            if new_wm and (watermark is None or new_wm > watermark):
                ctx.state.set_watermark(JOB, spec.table, new_wm)
            return acc
        finally:
            raw.unpersist()

    # Tables side by side once the tables they look up (foreign keys, FX rates) are merged; after a failure
    # no table starts, the running ones finish (each is re-runnable on its own), and the first error is raised.
    order = [s.table for s in SPECS if s.table in wanted]
    upstream = {t: _depends_on(SPEC_BY_TABLE[t]) for t in order}
    # the conformed customers start as soon as the inputs they read are merged, ahead of the tables listed
    # after their last input (a free slot goes to the first ready name in this order)
    last_input = max((order.index(t) for t in CONFORMED_INPUTS if t in order), default=-1)
    order.insert(last_input + 1, CONFORMED_TABLE)
    upstream[CONFORMED_TABLE] = set(CONFORMED_INPUTS)

    def build(table: str) -> Accounting:
        return build_conformed_customers(ctx) if table == CONFORMED_TABLE else build_table(table)

    merged = run_all(order, upstream, build, parallel or TABLES_AT_ONCE, thread_name="silver")
    return {f"silver.{t}": merged[t] for t in order}  # reported in processing order


# What a conformed customer is built from: per input, the changed columns that name the rows to recompute.
CONFORMED_INPUTS = {
    "customers": ("customer_id", "email"),
    "sf_contacts": ("email", "contact_id"),
    "sf_accounts": ("account_id",),
    "behaviour_events": ("customer_id",),
    "realtime_events": ("customer_id",),
}


def conform_changed(
    customers: DataFrame,
    contacts: DataFrame,
    accounts: DataFrame,
    behaviour_customer_ids: DataFrame,
    realtime_customer_ids: DataFrame,
    changed: dict[str, DataFrame],
) -> tuple[DataFrame, DataFrame]:
    """(the conformed rows the changed input keys touch, as ``conform_customers`` gives them; the
    ``customer_id`` s those rows are the whole truth for). A row depends on its customer, the contacts
    sharing its email (the winner is chosen per email), their account and the customer's events — so every
    customer and contact of an affected email is recomputed, where an email is affected when a customer or
    contact had or has it, a changed account's contact has it, or a changed customer (or one with new
    events) has it. A Salesforce-only row ``sf:<contact>`` of that scope that the rows lack has gone: its
    contact now matches a customer, lost its email to a newer contact, or has no email any more."""
    ids = (
        changed["customers"]
        .select("customer_id")
        .unionByName(changed["behaviour_events"].select("customer_id"))
        .unionByName(changed["realtime_events"].select("customer_id"))
        .where(F.col("customer_id").isNotNull())
        .distinct()
    )
    account_ids = changed["sf_accounts"].select("account_id")
    emails = (
        changed["customers"]
        .select(normalise_email(F.col("email")).alias("email"))
        .unionByName(changed["sf_contacts"].select("email"))
        .unionByName(contacts.join(account_ids, "account_id", "left_semi").select("email"))
        .unionByName(
            customers.join(ids, "customer_id", "left_semi").select(
                normalise_email(F.col("email")).alias("email")
            )
        )
        .where(F.col("email").isNotNull())
        .distinct()
        .localCheckpoint()  # read three times below
    )
    by_email = F.col("__e").isNotNull()
    affected_customers = (
        customers.withColumn("__ne", normalise_email(F.col("email")))
        .join(emails.select(F.col("email").alias("__e")), F.col("__ne") == F.col("__e"), "left")
        .join(ids.select(F.col("customer_id").alias("__id")), F.col("customer_id") == F.col("__id"), "left")
        .where(by_email | F.col("__id").isNotNull())
        .drop("__ne", "__e", "__id")
    )
    affected_contacts = contacts.join(emails, "email", "left_semi")
    sf_ids = (
        affected_contacts.select("contact_id")
        .unionByName(changed["sf_contacts"].select("contact_id"))  # also a contact whose email was removed
        .where(F.col("contact_id").isNotNull())
        .select(F.concat(F.lit("sf:"), F.col("contact_id")).alias("customer_id"))
    )
    all_ids = affected_customers.select("customer_id").unionByName(sf_ids).distinct()
    rows = conform_customers(
        affected_customers,
        affected_contacts,
        accounts,
        behaviour_customer_ids.join(all_ids, "customer_id", "left_semi"),
        realtime_customer_ids.join(all_ids, "customer_id", "left_semi"),
    )
    return rows, all_ids


def build_conformed_customers(ctx) -> Accounting:
    """MERGE the conformed customers the inputs' changes touch since the last build (their change feeds,
    from the input versions recorded as watermarks ``customers_conformed/<input>@<table id>``); all of
    them on the first build or when a feed does not reach back. A Salesforce-only row ``sf:<contact>`` whose
    contact now belongs to another row is deleted in the same MERGE (the feed carries the delete to gold,
    which closes that customer's dim_customer version)."""
    from lakehouse import tables as io
    from lakehouse.contracts import load_contract
    from lakehouse.feeds import read_changes

    spark, cfg = ctx.spark, ctx.cfg
    name = f"silver.{CONFORMED_TABLE}"
    if not io.exists(spark, cfg, "silver", "customers"):
        return Accounting(name)
    feed = read_changes(
        spark,
        cfg,
        ctx.state,
        CONFORMED_TABLE,
        "silver",
        CONFORMED_INPUTS,
        incremental=io.exists(spark, cfg, "silver", CONFORMED_TABLE),
        log=ctx.log,
    )
    if feed.up_to_date:
        ctx.log.info("conformed customers up to date; inputs unchanged since the last build")
        return Accounting(name)
    pinned, changed = feed.versions, feed.changed

    def read_or_empty(table: str) -> DataFrame:
        if pinned[table] is not None:
            return io.read(spark, cfg, "silver", table, version=pinned[table])
        return spark.createDataFrame([], load_contract("silver", table).spark_schema())

    inputs = (
        read_or_empty("customers"),
        read_or_empty("sf_contacts"),
        read_or_empty("sf_accounts"),
        read_or_empty("behaviour_events").select("customer_id"),
        read_or_empty("realtime_events").select("customer_id"),
    )
    try:
        # the rows are the truth for their scope: a customer_id of it they lack is deleted (merged away)
        if changed is None:
            conformed, scope = conform_customers(*inputs), "all"
        else:
            conformed, scope = conform_changed(*inputs, changed)
        schema = load_contract("silver", CONFORMED_TABLE).spark_schema()
        stats = io.merge(
            spark,
            cfg,
            "silver",
            CONFORMED_TABLE,
            select_contract_columns(conformed, schema),
            ["customer_id"],
            when_matched="update_if_changed",
            dedupe=False,
            change_feed=True,
            delete_missing=scope,
        )
    finally:
        feed.release()
    if stats.deleted:
        ctx.log.info(
            "conformed customers merged away",
            extra={"table": name, "deleted": stats.deleted, "note": "Salesforce-only rows now matched"},
        )
    feed.record(ctx.state, CONFORMED_TABLE)
    # Derived table: every conformed row comes from a silver row already accounted for above.
    return Accounting(name, stats.rows_in, stats.rows_in, 0, 0)


def run_step(ctx, *, mode: str = "incremental", since=None, until=None) -> dict[str, Accounting]:
    """The ``transform.py --step silver`` body: build silver, then record (and enforce) the balance."""
    from lakehouse.accounting import record

    accounting = build_silver(ctx, mode=mode, since=since, until=until)
    record(ctx, accounting)
    return accounting
