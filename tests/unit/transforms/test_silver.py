"""Silver transformations on small hand-written frames."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from lakehouse import silver as S

pytestmark = pytest.mark.spark

FX_SCHEMA = "rate_date date, currency string, usd_per_unit decimal(18,8)"


def _fx(spark):
    return spark.createDataFrame(
        [
            (date(2024, 1, 1), "EUR", Decimal("1.10000000")),
            (date(2024, 1, 3), "EUR", Decimal("1.20000000")),
            (date(2024, 1, 2), "GBP", Decimal("1.25000000")),
        ],
        FX_SCHEMA,
    )


def _orders(spark, rows):
    return spark.createDataFrame(
        rows,
        "order_id string, customer_id string, product_id string, order_ts timestamp, quantity int, "
        "unit_price decimal(18,2), currency string, status string, updated_at timestamp, "
        "_batch_id string, _ingested_at timestamp",
    )


def test_standardise_trims_uppercases_codes_and_normalises_email(spark):
    df = spark.createDataFrame(
        [(" c1 ", "  Ann.Lee@Example.COM ", "de"), ("c2", "   ", "fr")],
        "customer_id string, email string, country string",
    )
    out = {r.customer_id: r for r in S.standardise(df, S.SPEC_BY_TABLE["customers"]).collect()}
    assert out["c1"].email == "ann.lee@example.com" and out["c1"].country == "DE"
    assert out["c2"].email is None  # an empty email must not match other empty emails


def test_deduplicate_keeps_latest_version_by_watermark_then_load(spark):
    t = datetime(2024, 1, 1, 10)
    df = spark.createDataFrame(
        [
            ("o1", 1, datetime(2024, 1, 1, 9), t),
            ("o1", 2, datetime(2024, 1, 1, 11), t),  # newest change wins
            ("o1", 3, datetime(2024, 1, 1, 10), datetime(2024, 1, 2)),  # later load, older change
            ("o2", 5, datetime(2024, 1, 1, 9), t),
            ("o2", 6, datetime(2024, 1, 1, 9), datetime(2024, 1, 3)),  # same change time: later load wins
        ],
        "order_id string, quantity int, updated_at timestamp, _ingested_at timestamp",
    )
    out = {r.order_id: r.quantity for r in S.deduplicate(df, ["order_id"], "updated_at").collect()}
    assert out == {"o1": 2, "o2": 6}


def test_deduplicate_without_watermark_is_deterministic_for_conflicting_versions(spark):
    rows = [("i1", "paid", datetime(2024, 1, 1)), ("i1", "void", datetime(2024, 1, 1))]
    schema = "invoice_id string, status string, _ingested_at timestamp"
    a = S.deduplicate(spark.createDataFrame(rows, schema), ["invoice_id"], None).collect()
    b = S.deduplicate(spark.createDataFrame(list(reversed(rows)), schema), ["invoice_id"], None).collect()
    assert len(a) == 1 and a == b


def test_fx_as_of_takes_latest_rate_on_or_before_the_date(spark):
    pairs = spark.createDataFrame(
        [
            ("EUR", date(2024, 1, 1)),
            ("EUR", date(2024, 1, 2)),
            ("EUR", date(2024, 1, 5)),
            ("GBP", date(2024, 1, 1)),
        ],
        "currency string, d date",
    )
    out = {(r.currency, r.d): r.fx_rate for r in S.fx_as_of(pairs, _fx(spark)).collect()}
    assert out[("EUR", date(2024, 1, 1))] == Decimal("1.1")
    assert out[("EUR", date(2024, 1, 2))] == Decimal("1.1")  # no rate that day: the day before's
    assert out[("EUR", date(2024, 1, 5))] == Decimal("1.2")
    assert out[("GBP", date(2024, 1, 1))] is None  # before the first GBP rate


def test_convert_to_usd_uses_rate_of_event_date_and_quarantines_unknown(spark):
    df = spark.createDataFrame(
        [
            ("a", Decimal("10.00"), "EUR", datetime(2024, 1, 3, 12)),
            ("b", Decimal("10.00"), "USD", datetime(2024, 1, 3, 12)),
            ("c", Decimal("10.00"), "XXX", datetime(2024, 1, 3, 12)),
            ("d", Decimal("10.00"), "GBP", datetime(2024, 1, 1, 12)),
            ("e", None, None, datetime(2024, 1, 3, 12)),
            ("f", Decimal("5.00"), None, datetime(2024, 1, 3, 12)),
        ],
        "id string, amount decimal(18,2), currency string, ts timestamp",
    )
    out = {
        r.id: r
        for r in S.convert_to_usd(df, _fx(spark), S.Money("amount", "currency", "ts", "amount_usd")).collect()
    }
    assert out["a"].amount_usd == Decimal("12.00") and out["a"][S.REJECT] is None
    assert out["b"].amount_usd == Decimal("10.00") and out["b"].fx_rate == Decimal("1")
    assert out["c"][S.REJECT] == "unknown_currency" and "XXX" in out["c"][S.REJECT_DETAIL]
    assert out["d"][S.REJECT] == "no_fx_rate"
    assert out["e"][S.REJECT] is None and out["e"].amount_usd is None  # no amount is not an error
    assert out["f"][S.REJECT] == "unknown_currency"  # an amount without a currency is never guessed


def test_order_rules_route_each_defect_to_its_reason_and_nothing_is_lost(spark):
    t = datetime(2024, 1, 3, 8)
    orders = _orders(
        spark,
        [
            ("o1", "c1", "p1", t, 2, Decimal("5.00"), "EUR", "placed", t, "b1", t),
            ("o2", "c9", "p1", t, 1, Decimal("5.00"), "EUR", "placed", t, "b1", t),  # unknown customer
            ("o3", "c1", "p9", t, 1, Decimal("5.00"), "EUR", "placed", t, "b1", t),  # unknown product
            ("o4", "c1", "p1", t, -3, Decimal("5.00"), "EUR", "placed", t, "b1", t),
            ("o5", "c1", "p1", t, 1, Decimal("5.00"), "ZZZ", "placed", t, "b1", t),
            ("o6", "c1", "p1", t, 0, Decimal("5.00"), "EUR", "placed", t, "b1", t),
        ],
    )
    refs = {
        "customers": spark.createDataFrame([("c1",)], "customer_id string"),
        "products": spark.createDataFrame([("p1",)], "product_id string"),
    }
    checked = S.apply_rules(orders, S.SPEC_BY_TABLE["orders"], fx=_fx(spark), refs=refs)
    good, bad = S.split_rejects(checked, "silver.orders", date(2024, 1, 3), orders.columns)
    reasons = {r.raw_record.split('"order_id":"')[1][:2]: r.reason_code for r in bad.collect()}
    assert reasons == {
        "o2": "orphan_fk",
        "o3": "orphan_fk",
        "o4": "negative_quantity",
        "o5": "unknown_currency",
        "o6": "zero_quantity",
    }
    [g] = good.collect()
    assert (g.order_id, g.amount, g.amount_usd, g.unit_price_usd) == (
        "o1",
        Decimal("10.00"),
        Decimal("12.00"),
        Decimal("6.00"),
    )
    assert g.order_date == date(2024, 1, 3)
    assert good.count() + bad.count() == orders.count()
    from lakehouse.contracts import load_contract

    assert bad.columns == list(load_contract("quarantine", "quarantined_rows").column_names)
    row = bad.where("reason_code = 'negative_quantity'").first()
    assert row.source_table == "silver.orders" and row._batch_id == "b1" and '"quantity":-3' in row.raw_record


def test_conform_customers_matches_salesforce_by_email_and_events_by_id(spark):
    t = datetime(2024, 1, 1)
    customers = spark.createDataFrame(
        [
            ("c1", "Ann", "Lee", "ANN@x.com ", None, "DE", "EMEA", "smb", t, t),
            ("c2", "Bo", "Ng", "bo@x.com", None, "US", "NA", "consumer", t, t),
        ],
        "customer_id string, first_name string, last_name string, email string, phone string, country string, "
        "region string, segment string, created_at timestamp, updated_at timestamp",
    )
    contacts = spark.createDataFrame(
        [
            ("k1", "a1", "Ann", "Lee", "ann@x.com", "+49", datetime(2024, 1, 2)),
            ("k0", "a1", "Ann", "Old", "ann@x.com", None, datetime(2023, 1, 1)),  # older duplicate contact
            ("k2", "a1", "Cy", "Po", "cy@x.com", None, datetime(2024, 1, 2)),  # no Snowflake customer
        ],
        "contact_id string, account_id string, first_name string, last_name string, email string, phone string, "
        "system_modstamp timestamp",
    )
    accounts = spark.createDataFrame(
        [("a1", "Acme", "Retail", "DE", 1.0, datetime(2024, 1, 5))],
        "account_id string, account_name string, industry string, billing_country string, annual_revenue double, "
        "system_modstamp timestamp",
    )
    beh = spark.createDataFrame([("c1",), ("c1",)], "customer_id string")
    rt = spark.createDataFrame([("c2",)], "customer_id string")
    out = {r.customer_id: r for r in S.conform_customers(customers, contacts, accounts, beh, rt).collect()}
    assert set(out) == {"c1", "c2", "sf:k2"}
    assert out["c1"].sf_contact_id == "k1" and out["c1"].account_name == "Acme"
    assert out["c1"].match_source == "snowflake+salesforce+redshift"
    assert out["c1"].source_updated_at == datetime(2024, 1, 5)  # the account changed last
    assert out["c2"].match_source == "snowflake+kafka" and out["c2"].sf_account_id is None
    assert out["sf:k2"].match_source == "salesforce" and out["sf:k2"].country == "DE"
    assert not out["sf:k2"].in_snowflake


def test_conform_changed_recomputes_what_a_full_conform_changes(spark):
    """An email moving to a Salesforce contact's, a contact moving account, a new account and contact and a
    new event: upserting the recomputed rows gives the table a full recompute upserted gives, and rows
    nothing touched are not recomputed."""
    t, t2 = datetime(2024, 1, 1), datetime(2024, 2, 1)
    cust_schema = (
        "customer_id string, first_name string, last_name string, email string, phone string, country string, "
        "region string, segment string, created_at timestamp, updated_at timestamp"
    )
    contact_schema = (
        "contact_id string, account_id string, first_name string, last_name string, email string, phone string, "
        "system_modstamp timestamp"
    )
    account_schema = (
        "account_id string, account_name string, industry string, billing_country string, annual_revenue double, "
        "system_modstamp timestamp"
    )

    def inputs(customers, contacts, accounts, beh):
        return (
            spark.createDataFrame(customers, cust_schema),
            spark.createDataFrame(contacts, contact_schema),
            spark.createDataFrame(accounts, account_schema),
            spark.createDataFrame([(c,) for c in beh], "customer_id string"),
            spark.createDataFrame([], "customer_id string"),
        )

    c1 = ("c1", "Ann", "Lee", "ann@x.com", None, "DE", "EMEA", "smb", t, t)
    c4 = ("c4", "Di", "Ro", "di@x.com", None, "FR", "EMEA", "smb", t, t)
    a1 = ("a1", "Acme", "Retail", "DE", 1.0, t)
    k2 = ("k2", "a1", "Cy", "Po", "cy@x.com", None, t)
    v1 = inputs(
        [c1, ("c2", "Bo", "Ng", "bo@x.com", None, "US", "NA", "consumer", t, t), c4],
        [
            ("k1", "a1", "Ann", "Lee", "ann@x.com", "+49", t),
            k2,
            ("k5", "a1", "Ed", "Ko", "ed@x.com", None, t),
        ],
        [a1],
        ["c1"],
    )
    v2 = inputs(
        [
            c1,
            ("c2", "Bo", "Ng", "CY@x.com", None, "US", "NA", "consumer", t, t2),  # now matches contact k2
            ("c3", "Dee", "Wu", "dee@x.com", None, "US", "NA", "smb", t2, t2),
            c4,
        ],
        [
            ("k1", "a2", "Ann", "Lee", "ann@x.com", "+49", t2),
            k2,
            ("k3", "a2", "Dee", "Wu", "dee@x.com", None, t2),
            ("k5", "a1", "Ed", "Ko", None, None, t2),  # email removed: no conformed row any more
        ],
        [a1, ("a2", "Beta", "Tech", "US", 2.0, t2)],
        ["c1", "c2"],
    )

    def keys(schema, *rows):
        return spark.createDataFrame(list(rows), schema)

    changed = {
        "customers": keys(
            "customer_id string, email string", ("c2", "bo@x.com"), ("c2", "CY@x.com"), ("c3", "dee@x.com")
        ),
        "sf_contacts": keys(
            "email string, contact_id string",
            ("ann@x.com", "k1"),
            ("dee@x.com", "k3"),
            ("ed@x.com", "k5"),
            (None, "k5"),
        ),
        "sf_accounts": keys("account_id string", ("a2",)),
        "behaviour_events": keys("customer_id string", ("c2",)),
        "realtime_events": keys("customer_id string"),
    }

    def apply(table, rows, scope):
        """What merge(delete_missing=scope) leaves: the rows upserted, the scope's other keys deleted."""
        new = {r.customer_id: tuple(r) for r in rows.collect()}
        gone = {r.customer_id for r in scope.collect()} - set(new)
        return {k: v for k, v in {**table, **new}.items() if k not in gone}

    before = {r.customer_id: tuple(r) for r in S.conform_customers(*v1).collect()}
    assert {"sf:k2", "sf:k5"} <= set(before)  # k2 matched no customer yet, k5 had an email
    recomputed, scope = S.conform_changed(*v2, changed)
    full = {r.customer_id: tuple(r) for r in S.conform_customers(*v2).collect()}
    assert apply(before, recomputed, scope) == full
    # c4 (nothing of it changed) is left alone; k2 is now c2's contact: "sf:k2" is in the scope, not in the
    # rows, so the merge deletes it (one person, one conformed row)
    assert {r.customer_id for r in recomputed.collect()} == {"c1", "c2", "c3"}
    assert {"sf:k2", "sf:k5"} <= {r.customer_id for r in scope.collect()} and not {"sf:k2", "sf:k5"} & set(
        full
    )
