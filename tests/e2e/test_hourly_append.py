"""Hourly incremental run over new data: after the daily run, the generator's append mode adds a batch to
every source; the hourly schedule moves exactly that batch through bronze and silver into gold, and every
table's row balance holds."""

from datetime import date, datetime

import pytest

from tests.e2e.conftest import gold_snapshot

pytestmark = pytest.mark.spark


def test_hourly_run_after_append_brings_exactly_the_new_rows_to_silver_and_gold(spark, lakes, baseline):
    from pyspark.sql import functions as F

    from lakehouse import tables as io
    from lakehouse.demo import append_sources
    from lakehouse.runner import run
    from lakehouse.silver import conform_customers

    cfg = lakes.copy_of(baseline[0], "hourly-append")
    batch = append_sources(spark, cfg, fraction=0.02, seed=11, log=lambda *_: None)
    s = run(
        cfg,
        date.fromisoformat(batch["execution_date"]),
        "hourly",
        spark=spark,
        progress=lambda *_: None,
    )
    assert s.status == "succeeded", [st for st in s.stages if st.status != "succeeded"]
    assert all(a.balanced for a in s.accounting.values())

    # every appended row, and nothing else, went through bronze and silver; none was quarantined
    for table, n in batch["counts"].items():
        assert n > 0 or table == "fx_rates"
        silver = s.accounting[f"silver.{table}"]
        assert (silver.rows_in, silver.loaded, silver.quarantined) == (n, n, 0), silver
        bronze = s.accounting[f"bronze.{table}"]
        assert (bronze.rows_in, bronze.quarantined) == (n, 0), bronze

    keys = batch["keys"]
    orders = keys["orders"]["new"] + keys["orders"]["updated"]
    window = datetime.fromisoformat(batch["window_start"])
    fact = io.read(spark, cfg, "gold", "fact_orders").where(F.col("order_id").isin(orders)).collect()
    assert sorted(r.order_id for r in fact) == sorted(orders)
    new = [r for r in fact if r.order_id in keys["orders"]["new"]]
    assert all(r.order_ts >= window and r.amount_usd is not None for r in new)
    silver_orders = {
        r.order_id: r.updated_at
        for r in io.read(spark, cfg, "silver", "orders").where(F.col("order_id").isin(orders)).collect()
    }
    assert all(silver_orders[o] >= window for o in orders)  # the updated orders carry the new version

    # a changed customer opened a new dim_customer version in the batch window
    changed = keys["customers"]["updated"]
    current = (
        io.read(spark, cfg, "gold", "dim_customer")
        .where(F.col("customer_id").isin(changed) & F.col("is_current"))
        .collect()
    )
    assert sorted(r.customer_id for r in current) == sorted(changed)
    assert all(r.valid_from >= window for r in current)
    events = keys["behaviour_events"]["new"] + keys["realtime_events"]["new"]
    c360 = io.read(spark, cfg, "gold", "customer_360")
    assert c360.where(F.col("customer_id").isin(keys["customers"]["new"])).count() == len(
        keys["customers"]["new"]
    )
    assert io.read(spark, cfg, "silver", "behaviour_events").select("event_id").unionByName(
        io.read(spark, cfg, "silver", "realtime_events").select("event_id")
    ).where(F.col("event_id").isin(events)).count() == len(events)

    # identity merges: each merged contact's Salesforce-only customer left silver (one person, one row),
    # its dim_customer version is closed, it has no customer_360 row, and the customer it merged into
    # carries the contact; silver holds exactly what conforming its inputs from scratch gives
    merges = batch["identity_merges"]
    assert {m["how"] for m in merges} == {"became_customer", "linked_to_customer"}
    gone = [f"sf:{m['contact_id']}" for m in merges]
    conformed = io.read(spark, cfg, "silver", "customers_conformed")
    assert conformed.where(F.col("customer_id").isin(gone)).count() == 0
    into = {
        r.customer_id: r.sf_contact_id
        for r in conformed.where(F.col("customer_id").isin([m["into"] for m in merges])).collect()
    }
    assert into == {m["into"]: m["contact_id"] for m in merges}
    fresh = conform_customers(
        *(io.read(spark, cfg, "silver", t) for t in ("customers", "sf_contacts", "sf_accounts")),
        io.read(spark, cfg, "silver", "behaviour_events").select("customer_id"),
        io.read(spark, cfg, "silver", "realtime_events").select("customer_id"),
    )
    assert conformed.select("customer_id").exceptAll(fresh.select("customer_id")).count() == 0
    assert conformed.count() == fresh.count()
    versions_gone = (
        io.read(spark, cfg, "gold", "dim_customer").where(F.col("customer_id").isin(gone)).collect()
    )
    assert {r.customer_id for r in versions_gone} == set(gone) and not any(
        r.is_current for r in versions_gone
    )
    assert min(max(r.valid_to for r in versions_gone if r.customer_id == g) for g in gone) >= window
    assert c360.where(F.col("customer_id").isin(gone)).count() == 0

    # gold recomputed only the rows silver's changes touch, and holds what a full rebuild from the same
    # silver holds (the rebuild then finds nothing to write)
    gold = s.outputs["silver_to_gold"]
    assert gold.mode == "incremental", gold
    assert 0 < gold.recomputed["fact_orders"] < gold.rows["fact_orders"] / 4, gold.recomputed
    assert gold.recomputed["dim_customer"] < gold.rows["dim_customer"] / 4, gold.recomputed
    assert gold.recomputed["customer_360"] < gold.rows["customer_360"] / 2, gold.recomputed
    incremental = gold_snapshot(spark, cfg)
    versions = {t: io.version(spark, cfg, "gold", t) for t in incremental}
    full = _gold_in_full(spark, cfg, date.fromisoformat(batch["execution_date"]))
    assert full.mode == "full"
    assert gold_snapshot(spark, cfg) == incremental
    assert {t: io.version(spark, cfg, "gold", t) for t in incremental} == versions

    # silver has not moved since: the next incremental run checks the published tables, publishes nothing
    again = run(
        cfg,
        date.fromisoformat(batch["execution_date"]),
        "hourly",
        only=["silver_to_gold"],
        spark=spark,
        progress=lambda *_: None,
    )
    unchanged = again.outputs["silver_to_gold"]
    assert (again.status, unchanged.mode, unchanged.published) == ("succeeded", "unchanged", [])
    assert unchanged.dq.passed_critical and {r.check for r in unchanged.dq.results} >= {"freshness", "unique"}
    assert unchanged.rows == {t: len(rows) for t, rows in incremental.items()}
    assert {t: io.version(spark, cfg, "gold", t) for t in incremental} == versions


def _gold_in_full(spark, cfg, execution_date):
    """silver_to_gold with ``--mode full``, through the runner as any job runs."""
    from lakehouse.runner import load_pipeline, run

    pipe = load_pipeline().with_args("silver_to_gold", mode="full")
    s = run(
        cfg,
        execution_date,
        "hourly",
        only=["silver_to_gold"],
        pipeline=pipe,
        spark=spark,
        progress=lambda *_: None,
    )
    assert s.status == "succeeded", s.stages
    return s.outputs["silver_to_gold"]
