"""Gold transformations: SCD2, facts with point-in-time keys, calendar, aggregates."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from lakehouse import gold as G

pytestmark = pytest.mark.spark

CONFORMED = (
    "customer_id string, first_name string, last_name string, email string, phone string, country string, "
    "region string, segment string, sf_account_id string, account_name string, industry string, "
    "match_source string, created_at timestamp, source_updated_at timestamp"
)


def _cust(spark, rows):
    return spark.createDataFrame(
        [
            (
                cid,
                "Ann",
                "Lee",
                f"{cid}@x.com",
                None,
                "DE",
                region,
                "smb",
                None,
                None,
                None,
                "snowflake",
                created,
                upd,
            )
            for cid, region, created, upd in rows
        ],
        CONFORMED,
    )


LEFT = datetime(2024, 3, 1)  # when customers missing from the silver read left (its commit time)


def _rows(df):
    return sorted((r.customer_id, r.region, r.valid_from, r.valid_to, r.is_current) for r in df.collect())


def test_scd2_first_load_opens_one_current_version_from_creation(spark):
    dim = G.scd2_apply(None, _cust(spark, [("c1", "EMEA", datetime(2023, 5, 1), datetime(2024, 1, 1))]))
    [(cid, region, vf, vt, cur)] = _rows(dim)
    assert (cid, region, vf, cur) == ("c1", "EMEA", datetime(2023, 5, 1), True)
    assert vt == datetime(9999, 12, 31)


def test_scd2_changed_attribute_closes_old_version_and_opens_new(spark):
    v1 = G.scd2_apply(
        None,
        _cust(
            spark,
            [
                ("c1", "EMEA", datetime(2023, 5, 1), datetime(2023, 5, 1)),
                ("c2", "NA", datetime(2023, 5, 1), datetime(2023, 5, 1)),
            ],
        ),
    )
    v2 = G.scd2_apply(
        v1,
        _cust(
            spark,
            [
                ("c1", "APAC", datetime(2023, 5, 1), datetime(2024, 2, 1)),
                ("c2", "NA", datetime(2023, 5, 1), datetime(2023, 5, 1)),
            ],
        ),
        left_at=LEFT,
    )
    assert _rows(v2) == [
        ("c1", "APAC", datetime(2024, 2, 1), datetime(9999, 12, 31), True),
        ("c1", "EMEA", datetime(2023, 5, 1), datetime(2024, 2, 1), False),
        ("c2", "NA", datetime(2023, 5, 1), datetime(9999, 12, 31), True),
    ]
    sks = [r.customer_sk for r in v2.collect()]
    assert len(set(sks)) == 3
    # the unchanged customer's surrogate key is stable across runs
    assert {r.customer_sk for r in v1.where("customer_id = 'c2'").collect()} == {
        r.customer_sk for r in v2.where("customer_id = 'c2'").collect()
    }


def test_scd2_customer_that_left_silver_is_closed_and_has_no_current_version(spark):
    """A Salesforce-only customer merged into another leaves silver: its version closes at ``left_at`` (never
    at or before its start); the others are untouched; without ``left_at`` there is no silent default."""
    v1 = G.scd2_apply(
        None,
        _cust(
            spark,
            [
                ("c1", "EMEA", datetime(2023, 5, 1), datetime(2023, 5, 1)),
                ("sf:k1", "NA", datetime(2024, 2, 1), datetime(2024, 2, 1)),
                ("sf:k2", "NA", datetime(2024, 6, 1), datetime(2024, 6, 1)),  # opened after LEFT
            ],
        ),
    )
    c1_only = _cust(spark, [("c1", "EMEA", datetime(2023, 5, 1), datetime(2023, 5, 1))])
    v2 = G.scd2_apply(v1, c1_only, left_at=LEFT)
    assert _rows(v2) == [
        ("c1", "EMEA", datetime(2023, 5, 1), datetime(9999, 12, 31), True),
        ("sf:k1", "NA", datetime(2024, 2, 1), LEFT, False),
        ("sf:k2", "NA", datetime(2024, 6, 1), datetime(2024, 6, 1, 0, 0, 1), False),
    ]
    assert sorted(map(tuple, G.scd2_apply(v2, c1_only, left_at=LEFT).collect())) == sorted(
        map(tuple, v2.collect())
    )  # closed stays closed
    with pytest.raises(ValueError, match="left_at"):
        G.scd2_apply(v1, c1_only)


def test_scd2_rerun_with_same_input_changes_nothing(spark):
    inc = _cust(spark, [("c1", "EMEA", datetime(2023, 5, 1), datetime(2023, 5, 1))])
    v1 = G.scd2_apply(None, inc)
    v2 = G.scd2_apply(
        v1, _cust(spark, [("c1", "APAC", datetime(2023, 5, 1), datetime(2024, 2, 1))]), left_at=LEFT
    )
    v3 = G.scd2_apply(
        v2, _cust(spark, [("c1", "APAC", datetime(2023, 5, 1), datetime(2024, 2, 1))]), left_at=LEFT
    )
    assert sorted(map(tuple, v2.collect())) == sorted(map(tuple, v3.collect()))


def test_scd2_change_without_newer_source_time_never_overlaps(spark):
    v1 = G.scd2_apply(None, _cust(spark, [("c1", "EMEA", datetime(2024, 1, 1), datetime(2024, 1, 1))]))
    v2 = G.scd2_apply(v1, _cust(spark, [("c1", "NA", datetime(2024, 1, 1), None)]), left_at=LEFT)
    old, new = sorted(_rows(v2), key=lambda r: r[2])
    assert old[3] == new[2] > old[2]


def _fact_inputs(spark):
    dim = spark.createDataFrame(
        [
            (1, "c1", "EMEA", datetime(2023, 1, 1), datetime(2024, 2, 1), False),
            (2, "c1", "APAC", datetime(2024, 2, 1), datetime(9999, 12, 31), True),
        ],
        "customer_sk bigint, customer_id string, region string, valid_from timestamp, valid_to timestamp, is_current boolean",
    )
    prod = spark.createDataFrame([(10, "p1")], "product_sk bigint, product_id string")
    orders = spark.createDataFrame(
        [
            (
                "o1",
                "c1",
                "p1",
                datetime(2024, 1, 15),
                2,
                Decimal("5.00"),
                "EUR",
                "placed",
                Decimal("10.00"),
                Decimal("1.1"),
                Decimal("11.00"),
            ),
            (
                "o2",
                "c1",
                "p1",
                datetime(2024, 3, 1),
                1,
                Decimal("5.00"),
                "EUR",
                "cancelled",
                Decimal("5.00"),
                Decimal("1.1"),
                Decimal("5.50"),
            ),
            (
                "o3",
                "c1",
                "p1",
                datetime(2022, 6, 1),
                1,
                Decimal("4.00"),
                "USD",
                "delivered",
                Decimal("4.00"),
                Decimal("1"),
                Decimal("4.00"),
            ),
        ],
        "order_id string, customer_id string, product_id string, order_ts timestamp, quantity int, unit_price decimal(18,2), "
        "currency string, status string, amount decimal(18,2), fx_rate decimal(18,8), amount_usd decimal(18,2)",
    ).withColumn("order_date", __import__("pyspark.sql.functions", fromlist=["to_date"]).to_date("order_ts"))
    return orders, dim, prod


def test_fact_orders_takes_customer_version_valid_at_order_time(spark):
    orders, dim, prod = _fact_inputs(spark)
    fact = {r.order_id: r for r in G.build_fact_orders(orders, dim, prod).collect()}
    assert fact["o1"].customer_sk == 1 and fact["o2"].customer_sk == 2
    assert fact["o3"].customer_sk == 1  # before the first version: the earliest one, never NULL
    assert (
        fact["o1"].product_sk == 10
        and fact["o1"].date_key == 20240115
        and fact["o1"].order_month == "2024-01"
    )
    assert fact["o1"].is_revenue and not fact["o2"].is_revenue


def test_daily_revenue_by_region_excludes_cancelled_from_revenue(spark):
    orders, dim, prod = _fact_inputs(spark)
    fact = G.build_fact_orders(orders, dim, prod)
    out = {(r.order_date, r.region): r for r in G.build_daily_revenue(fact, dim).collect()}
    jan = out[(date(2024, 1, 15), "EMEA")]
    assert (jan.orders, jan.revenue_orders, jan.units, jan.revenue_usd) == (1, 1, 2, Decimal("11.00"))
    mar = out[(date(2024, 3, 1), "APAC")]
    assert (mar.orders, mar.revenue_orders, mar.revenue_usd) == (1, 0, Decimal("0.00"))


def test_dim_date_covers_whole_years_with_iso_weekdays(spark):
    d = G.build_dim_date(spark, date(2024, 3, 5), date(2024, 3, 6))
    assert d.count() == 366
    r = d.where("date_key = 20240101").first()  # a Monday
    assert (r.day_of_week, r.day_name, r.is_weekend, r.quarter, r.month_name) == (
        1,
        "Monday",
        False,
        1,
        "January",
    )
    assert d.where("date_key = 20240107").first().is_weekend


def test_customer_360_rolls_up_orders_events_and_open_pipeline(spark):
    orders, dim, prod = _fact_inputs(spark)
    dim = dim.selectExpr(
        "*", "'c1@x.com' AS email", "'smb' AS segment", "'snowflake' AS match_source", "'a1' AS sf_account_id"
    )
    fact = G.build_fact_orders(orders, dim, prod)
    beh = spark.createDataFrame([("c1", datetime(2024, 4, 1))], "customer_id string, event_ts timestamp")
    rt = spark.createDataFrame([], "customer_id string, event_ts timestamp")
    opp = spark.createDataFrame(
        [("a1", "Proposal", Decimal("100.00")), ("a1", "Closed Won", Decimal("50.00"))],
        "account_id string, stage_name string, amount_usd decimal(18,2)",
    )
    [r] = G.build_customer_360(dim, fact, beh, rt, opp).collect()
    assert (r.customer_id, r.customer_sk, r.orders, r.lifetime_revenue_usd) == ("c1", 2, 3, Decimal("15.00"))
    assert r.avg_order_value_usd == Decimal("7.50")
    assert (r.behaviour_events, r.realtime_events, r.last_seen_ts) == (1, 0, datetime(2024, 4, 1))
    assert (r.open_opportunities, r.open_pipeline_usd) == (1, Decimal("100.00"))


# ------------------------------------------------------------------ incremental == full, on the hard cases
ORDERS = (
    "order_id string, customer_id string, product_id string, order_ts timestamp, quantity int, "
    "unit_price decimal(18,2), currency string, status string, amount decimal(18,2), fx_rate decimal(18,8), "
    "amount_usd decimal(18,2)"
)


def _silver(spark, *, customers, orders, opportunities, behaviour):
    from pyspark.sql import functions as F

    def order(oid, cid, ts, status="placed"):
        return (
            oid,
            cid,
            "p1",
            ts,
            1,
            Decimal("5.00"),
            "USD",
            status,
            Decimal("5.00"),
            Decimal("1"),
            Decimal("5.00"),
        )

    frames = {
        "customers_conformed": _cust(spark, customers).withColumn(
            "sf_account_id", F.concat(F.lit("a-"), F.col("customer_id"))
        ),
        "orders": spark.createDataFrame([order(*o) for o in orders], ORDERS).withColumn(
            "order_date", F.to_date("order_ts")
        ),
        "products": spark.createDataFrame(
            [("p1", "Lamp", "home", Decimal("5.00"), "USD", Decimal("5.00"))],
            "product_id string, product_name string, category string, list_price decimal(18,2), "
            "currency string, list_price_usd decimal(18,2)",
        ),
        "vendor_catalog": spark.createDataFrame(
            [("p1", "v1", Decimal("3.00"))],
            "product_id string, vendor_id string, supply_price_usd decimal(18,2)",
        ),
        "behaviour_events": spark.createDataFrame(behaviour, "customer_id string, event_ts timestamp"),
        "realtime_events": spark.createDataFrame([], "customer_id string, event_ts timestamp"),
        "sf_opportunities": spark.createDataFrame(
            opportunities, "account_id string, stage_name string, amount_usd decimal(18,2)"
        ),
    }
    return frames.__getitem__


def _table_rows(df):
    return sorted(
        (tuple(r) for r in df.select(*sorted(df.columns)).collect()), key=lambda r: [repr(v) for v in r]
    )


def test_incremental_gold_equals_a_full_rebuild_when_keys_move(spark):
    """The changes that make incremental gold hard: a customer change dated before an order gold already
    holds (the order must move to the new version), an order moving to another customer and date (both
    customers' 360 rows and both dates' revenue change), a new order, new events and a new opportunity of
    a customer nothing else changed."""
    jan1, jan15 = datetime(2024, 1, 1), datetime(2024, 1, 15)
    v1 = _silver(
        spark,
        customers=[
            ("c1", "EMEA", jan1, jan1),
            ("c2", "NA", jan1, jan1),
            ("c3", "APAC", jan1, jan1),
            ("sf:k9", "NA", jan1, jan1),  # Salesforce-only: merged into another customer in v2
        ],
        orders=[
            ("o1", "c1", jan15),
            ("o2", "c2", datetime(2024, 3, 1)),
            ("o4", "c3", datetime(2024, 2, 1)),
            ("o5", "c2", datetime(2024, 3, 5)),  # gone from silver in v2 (a RESTORE, an erasure)
        ],
        opportunities=[("a-c1", "Proposal", Decimal("100.00"))],
        behaviour=[("c1", datetime(2024, 4, 1))],
    )

    def cut(_table, df):  # materialise each table as build_gold does: the plans stay small
        return df.localCheckpoint()

    gold1 = G.build_candidates(spark, v1, stage=cut)
    v2 = _silver(
        spark,
        customers=[
            ("c1", "LATAM", jan1, datetime(2024, 1, 10)),
            ("c2", "NA", jan1, jan1),
            ("c3", "APAC", jan1, jan1),
        ],
        orders=[
            ("o1", "c1", jan15),
            ("o2", "c1", datetime(2024, 4, 2)),  # was c2 on 2024-03-01
            ("o3", "c2", datetime(2024, 5, 5), "cancelled"),
            ("o4", "c3", datetime(2024, 2, 1)),
        ],
        opportunities=[("a-c1", "Proposal", Decimal("100.00")), ("a-c3", "Proposal", Decimal("7.00"))],
        behaviour=[("c1", datetime(2024, 4, 1)), ("c2", datetime(2024, 6, 1))],
    )

    def keys(*values):
        return spark.createDataFrame([(v,) for v in values], "k string")

    changed = {
        "orders": keys("o2", "o3", "o5"),
        "customers_conformed": keys("c1", "sf:k9"),
        "products": keys(),
        "vendor_catalog": keys(),
        "behaviour_events": keys("c2"),
        "realtime_events": keys(),
        "sf_opportunities": keys("a-c3"),
    }
    recomputed, scopes = {}, {}

    def keep(table, df, scope=None):
        recomputed[table] = df.localCheckpoint()
        if scope is not None:
            scopes[table] = {r[0] for r in scope.collect()}
        return recomputed[table]

    inc = G.build_increment(
        spark, v2, gold1.__getitem__, changed, left_at=LEFT, stage=cut, stage_recomputed=keep
    )
    full = G.build_candidates(spark, v2, existing_dim=gold1["dim_customer"], left_at=LEFT, stage=cut)
    for table in G.GOLD_TABLES:
        assert _table_rows(inc[table]) == _table_rows(full[table]), table
    # the customer that left: its version closed, no customer_360 row, and in the scope the publish deletes
    [k9] = inc["dim_customer"].where("customer_id = 'sf:k9'").collect()
    assert (k9.is_current, k9.valid_to) == (False, LEFT)
    assert inc["customer_360"].where("customer_id = 'sf:k9'").count() == 0
    assert "sf:k9" in scopes["customer_360"] and set(scopes) == set(G.ROWS_CAN_LEAVE)
    # the order silver no longer holds: not recomputed, but in the fact's scope, so the publish deletes it
    assert inc["fact_orders"].where("order_id = 'o5'").count() == 0 and "o5" in scopes["fact_orders"]
    # ... and it recomputed only what the changes touch: o4 / c3's orders and dim rows are left alone
    assert {r.order_id for r in recomputed["fact_orders"].collect()} == {"o1", "o2", "o3"}
    assert {r.customer_id for r in recomputed["dim_customer"].collect()} == {"c1", "sf:k9"}
    assert {r.customer_id for r in recomputed["customer_360"].collect()} == {"c1", "c2", "c3"}
    assert recomputed["dim_product"].count() == 0
    o1 = inc["fact_orders"].where("order_id = 'o1'").first()
    current_c1 = inc["dim_customer"].where("customer_id = 'c1' AND is_current").first()
    assert o1.customer_sk == current_c1.customer_sk  # moved to the version the late change opened
