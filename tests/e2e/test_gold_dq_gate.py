"""The gold DQ gate: a critical failure on the candidates publishes nothing, fails the run and is recorded
in audit/dq_results; once silver is fixed the same job publishes."""

import pytest

from tests.e2e.conftest import gold_snapshot

pytestmark = pytest.mark.spark


def test_a_critical_gold_check_failure_publishes_nothing(spark, lakes, baseline):
    from delta.tables import DeltaTable

    from lakehouse import tables as io
    from lakehouse.gold import GOLD_TABLES
    from lakehouse.runner import run

    cfg = lakes.copy_of(baseline[0], "gold-dq-gate")
    clean_gold = baseline[2]
    versions = {t: io.version(spark, cfg, "gold", t) for t in GOLD_TABLES}
    # silver gains an order the gold suite must refuse: quantity 0 breaks fact_orders' critical range check
    orders = DeltaTable.forPath(spark, io.path(cfg, "silver", "orders"))
    victim = orders.toDF().orderBy("order_id").first()
    orders.update(f"order_id = '{victim.order_id}'", {"quantity": "0"})

    s = run(
        cfg, lakes.execution_date, "daily", only=["silver_to_gold"], spark=spark, progress=lambda *_: None
    )

    assert s.status == "failed"
    assert "critical gold DQ check(s) failed, nothing was published" in s.stages[0].error
    assert "range:quantity" in s.stages[0].error
    assert gold_snapshot(spark, cfg) == clean_gold
    assert {t: io.version(spark, cfg, "gold", t) for t in GOLD_TABLES} == versions  # not one commit
    failed = (
        io.read(spark, cfg, "audit", "dq_results")
        .where(f"suite = 'gold' AND NOT passed AND run_id LIKE '{s.run_id}%'")
        .select("table", "name", "severity", "failed_rows")
        .collect()
    )
    assert [(r.table, r.name, r.severity, r.failed_rows) for r in failed if r.severity == "critical"] == [
        ("gold/fact_orders", "range:quantity", "critical", 1)
    ]

    # silver fixed: the same job publishes, and gold is the clean run's again
    orders.update(f"order_id = '{victim.order_id}'", {"quantity": str(victim.quantity)})
    again = run(
        cfg, lakes.execution_date, "daily", only=["silver_to_gold"], spark=spark, progress=lambda *_: None
    )
    assert again.status == "succeeded"
    assert gold_snapshot(spark, cfg) == clean_gold
