"""An operator undoes a bad load with a Delta RESTORE of a silver table. The change feed reports a RESTORE as
deletes and inserts of the files it swapped, so incremental gold recomputes every key the restore moved —
including rows the bad load added, which gold must delete — and ends where it was before the bad load."""

import pytest

from tests.e2e.conftest import gold_snapshot

pytestmark = pytest.mark.spark


@pytest.mark.parametrize("publish", ["replace", "merge"])
def test_incremental_gold_after_a_silver_restore_equals_gold_before_the_bad_load(
    spark, lakes, baseline, monkeypatch, publish
):
    """Both ways gold publishes a table: replaced whole (tables of these sizes) and MERGEd on its keys with the
    scope's vanished keys deleted (a table past ``gold.REPLACE_MAX_ROWS``)."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    from lakehouse import gold
    from lakehouse import tables as io
    from lakehouse.runner import run

    if publish == "merge":
        monkeypatch.setattr(gold, "REPLACE_MAX_ROWS", 0)
    cfg = lakes.copy_of(baseline[0], f"silver-restore-{publish}")
    orders_path = io.path(cfg, "silver", "orders")
    good = io.version(spark, cfg, "silver", "orders")

    def gold_run():
        s = run(
            cfg,
            lakes.execution_date,
            "hourly",
            only=["silver_to_gold"],
            spark=spark,
            progress=lambda *_: None,
        )
        assert s.status == "succeeded", s.stages
        return s.outputs["silver_to_gold"]

    # the bad load: 20 orders that should not exist, and 30 orders with a wrong quantity
    silver = io.read(spark, cfg, "silver", "orders").orderBy("order_id")
    sample = silver.limit(50).collect()
    bogus_ids = [f"X{r.order_id}" for r in sample[:20]]
    wrong_ids = [r.order_id for r in sample[20:]]
    bogus = silver.limit(20).withColumn("order_id", F.concat(F.lit("X"), F.col("order_id")))
    target = DeltaTable.forPath(spark, orders_path)
    target.alias("t").merge(bogus.alias("s"), "t.order_id = s.order_id").whenNotMatchedInsertAll().execute()
    target.update(F.col("order_id").isin(wrong_ids), {"quantity": F.col("quantity") + 7})
    bad = gold_run()
    assert bad.mode == "incremental"
    fact = io.read(spark, cfg, "gold", "fact_orders")
    assert fact.where(F.col("order_id").isin(bogus_ids)).count() == 20  # gold took the bad load

    # the operator restores silver.orders to before the bad load; the next hourly gold run undoes it
    DeltaTable.forPath(spark, orders_path).restoreToVersion(good)
    restored = gold_run()
    assert restored.mode == "incremental", restored
    # (how many orders it recomputes depends on the files the restore swapped: here, small tables, all)
    assert restored.recomputed["fact_orders"] >= 50, restored.recomputed
    assert io.read(spark, cfg, "gold", "fact_orders").where(F.col("order_id").isin(bogus_ids)).count() == 0
    assert gold_snapshot(spark, cfg) == baseline[2]
