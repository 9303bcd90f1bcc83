"""Backfill over a date range: silver is re-derived from what bronze loaded on those dates (watermarks
aside, and left where they are), damaged silver rows are repaired, gold follows; a second backfill of the
same range changes nothing, and a date nothing was loaded on changes nothing."""

from datetime import timedelta

import pytest

from tests.e2e.conftest import gold_snapshot

pytestmark = pytest.mark.spark

JOBS = ["bronze_to_silver", "dq_silver", "silver_to_gold"]


def _rows(spark, cfg, table):
    from lakehouse import tables as io

    df = io.read(spark, cfg, "silver", table)
    return sorted(tuple(r) for r in df.select(*sorted(df.columns)).collect())


def _watermarks(cfg):
    from lakehouse.silver import JOB, SPECS
    from lakehouse.state import open_state

    state = open_state(cfg)
    return {s.table: state.get_watermark(JOB, s.table) for s in SPECS}


def test_backfill_repairs_silver_from_bronze_and_is_idempotent(spark, lakes, baseline):
    from delta.tables import DeltaTable

    from lakehouse import tables as io
    from lakehouse.maintenance import backfill

    cfg = lakes.copy_of(baseline[0], "backfill")
    clean_orders, clean_gold = _rows(spark, baseline[0], "orders"), baseline[2]
    watermarks = _watermarks(cfg)
    d = lakes.execution_date  # the date the baseline run loaded every bronze row on

    # damage silver the way a bad deploy would: wrong amounts on some orders, others lost
    orders = DeltaTable.forPath(spark, io.path(cfg, "silver", "orders"))
    ids = [r.order_id for r in orders.toDF().orderBy("order_id").limit(20).collect()]
    changed, lost = ids[:10], ids[10:]
    orders.update(f"order_id IN ({', '.join(repr(i) for i in changed)})", {"amount_usd": "amount_usd + 1"})
    orders.delete(f"order_id IN ({', '.join(repr(i) for i in lost)})")
    assert _rows(spark, cfg, "orders") != clean_orders

    # a day nothing was loaded on: silver is not touched
    before = io.version(spark, cfg, "silver", "orders")
    quiet = backfill(cfg, d - timedelta(days=1), d - timedelta(days=1), only=JOBS[:1], spark=spark)
    assert quiet[0]["status"] == "succeeded" and io.version(spark, cfg, "silver", "orders") == before

    done = backfill(cfg, d, d, only=JOBS, spark=spark, progress=lambda *_: None)
    assert [x["status"] for x in done] == ["succeeded"]
    assert _rows(spark, cfg, "orders") == clean_orders  # repaired and restored from bronze
    assert gold_snapshot(spark, cfg) == clean_gold
    assert _watermarks(cfg) == watermarks  # a backfill never moves the incremental position

    versions = {t: io.version(spark, cfg, "silver", t) for t in ("orders", "customers", "products")}
    again = backfill(cfg, d, d, only=JOBS, spark=spark, progress=lambda *_: None)
    assert [x["status"] for x in again] == ["succeeded"]
    assert _rows(spark, cfg, "orders") == clean_orders and gold_snapshot(spark, cfg) == clean_gold
    # the repair policy found nothing to rewrite: the MERGEs updated and inserted no row
    for t, v in versions.items():
        for h in io.history(spark, cfg, "silver", t)[: io.version(spark, cfg, "silver", t) - v]:
            m = h.get("operationMetrics") or {}
            assert int(m.get("numTargetRowsUpdated", 0)) == int(m.get("numTargetRowsInserted", 0)) == 0, (
                t,
                h,
            )
