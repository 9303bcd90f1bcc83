"""SCD2 end to end: a changed customer attribute arrives in bronze; the hourly-style incremental run reads
only that row, closes the old dim_customer version, opens a new one, and a same-day re-run changes nothing."""

import pytest

from tests.e2e.conftest import gold_snapshot

pytestmark = pytest.mark.spark


def test_changed_customer_opens_new_version_and_rerun_changes_nothing(spark, lakes, baseline):
    from delta.tables import DeltaTable

    from lakehouse import tables as io
    from lakehouse.runner import run

    cfg = lakes.copy_of(baseline[0], "scd2")
    bronze = DeltaTable.forPath(spark, io.path(cfg, "bronze", "customers"))
    victim = (
        io.read(spark, cfg, "gold", "fact_orders")
        .groupBy("customer_id")
        .count()
        .orderBy("customer_id")
        .first()
        .customer_id
    )
    old = io.read(spark, cfg, "silver", "customers").where(f"customer_id = '{victim}'").first()
    new_region = "LATAM" if old.region != "LATAM" else "NA"
    bronze.update(
        f"customer_id = '{victim}'",
        {
            "region": f"'{new_region}'",
            "updated_at": "updated_at + INTERVAL 400 DAYS",
            "_ingested_at": "current_timestamp()",
            "_batch_id": "'scd2-test'",
        },
    )
    jobs = ["bronze_to_silver", "silver_to_gold"]
    s = run(cfg, lakes.execution_date, "hourly", only=jobs, spark=spark, progress=lambda *_: None)
    assert s.status == "succeeded"
    assert s.accounting["silver.customers"].rows_in == 1  # only what is past the watermark
    assert s.accounting["silver.orders"].rows_in == 0

    versions = (
        io.read(spark, cfg, "gold", "dim_customer")
        .where(f"customer_id = '{victim}'")
        .orderBy("valid_from")
        .collect()
    )
    assert [v.is_current for v in versions] == [False, True]
    closed, current = versions
    assert closed.region == old.region and current.region == new_region
    assert closed.valid_to == current.valid_from
    assert closed.attr_hash != current.attr_hash and closed.customer_sk != current.customer_sk
    # the victim's (older) orders keep pointing at the version valid when they were placed
    sks = {
        r.customer_sk
        for r in io.read(spark, cfg, "gold", "fact_orders").where(f"customer_id = '{victim}'").collect()
    }
    assert sks == {closed.customer_sk}
    c360 = io.read(spark, cfg, "gold", "customer_360").where(f"customer_id = '{victim}'").first()
    assert c360.region == new_region and c360.customer_sk == current.customer_sk

    snap = gold_snapshot(spark, cfg)
    v = io.version(spark, cfg, "gold", "dim_customer")
    s = run(cfg, lakes.execution_date, "hourly", only=jobs, spark=spark, progress=lambda *_: None)
    assert s.status == "succeeded"
    assert gold_snapshot(spark, cfg) == snap
    h = io.history(spark, cfg, "gold", "dim_customer", 1)[0]
    if h["version"] != v:  # no new version, or a MERGE that inserted and updated nothing
        m = h["operationMetrics"]
        assert h["operation"] == "MERGE", (h["operation"], m)
        assert int(m["numTargetRowsInserted"]) == 0 and int(m["numTargetRowsUpdated"]) == 0
