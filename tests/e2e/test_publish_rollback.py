"""A failure half-way through publishing gold: the tables this run already published are restored, so
gold is exactly as before, and the DQ gate's results (written beside the publish) are kept; without the
fault the same run publishes."""

import pytest

from tests.e2e.conftest import gold_snapshot

pytestmark = pytest.mark.spark


def test_failure_in_the_middle_of_publishing_rolls_gold_back(spark, lakes, baseline, monkeypatch):
    from delta.tables import DeltaTable

    from lakehouse import tables as io
    from lakehouse.gold import GOLD_TABLES
    from lakehouse.runner import run

    cfg = lakes.copy_of(baseline[0], "publish-failure")
    clean_gold = baseline[2]
    versions = {t: io.version(spark, cfg, "gold", t) for t in GOLD_TABLES}
    # a later run whose gold differs from the published one: a customer moved region in silver
    conformed = DeltaTable.forPath(spark, io.path(cfg, "silver", "customers_conformed"))
    victim = conformed.toDF().where("in_snowflake").orderBy("customer_id").first()
    conformed.update(
        f"customer_id = '{victim.customer_id}'",
        {
            "region": "'LATAM'" if victim.region != "LATAM" else "'NA'",
            "source_updated_at": "source_updated_at + INTERVAL 1 DAY",
        },
    )
    monkeypatch.setenv("LAKEHOUSE_FAIL_PUBLISH_AT", "fact_orders")  # the dimensions publish, then it fails
    s = run(
        cfg, lakes.execution_date, "daily", only=["silver_to_gold"], spark=spark, progress=lambda *_: None
    )
    assert s.status == "failed" and "LAKEHOUSE_FAIL_PUBLISH_AT" in s.stages[0].error
    assert gold_snapshot(spark, cfg) == clean_gold  # dim_customer and the others were restored
    assert io.history(spark, cfg, "gold", "dim_customer", 1)[0]["operation"] == "RESTORE"
    assert io.version(spark, cfg, "gold", "fact_orders") == versions["fact_orders"]  # never touched
    # the gate passed before the publish failed: its results were written beside the publish all the same
    recorded = io.read(spark, cfg, "audit", "dq_results").where(
        f"suite = 'gold' AND run_id LIKE '{s.run_id}.%'"
    )
    assert recorded.count() > 0 and recorded.where("NOT passed AND severity = 'critical'").count() == 0
    # without the fault the same run publishes: the new customer version reaches gold
    monkeypatch.delenv("LAKEHOUSE_FAIL_PUBLISH_AT")
    s = run(
        cfg, lakes.execution_date, "daily", only=["silver_to_gold"], spark=spark, progress=lambda *_: None
    )
    assert s.status == "succeeded"
    assert (
        io.read(spark, cfg, "gold", "dim_customer").where(f"customer_id = '{victim.customer_id}'").count()
        == 2
    )
