"""The overhead benchmark's yardstick (``lakehouse.bench_bare``) computes the gold tables the pipeline
publishes: where it computes a table the same way, the same rows. It leaves out what the framework adds
(SCD2 history, so its customer keys are per customer, not per version; customer_360's extra columns)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.spark


def test_the_bare_script_builds_the_pipelines_gold_rows(spark, baseline, tmp_path):
    from lakehouse import bench_bare
    from lakehouse import tables as io

    cfg, _summary, _gold = baseline
    bench_bare.build(spark, cfg.lake_root, str(tmp_path / "bare"))

    def bare(table: str):
        return spark.read.format("delta").load(str(tmp_path / "bare" / table))

    for table in ("dim_date", "dim_product", "daily_revenue_by_region_usd", "fact_orders"):
        built = bare(table).drop("customer_sk")  # the SCD2 key names a customer version in gold
        gold = io.read(spark, cfg, "gold", table).select(*built.columns)
        assert built.count() == gold.count() > 0, table
        assert built.exceptAll(gold).isEmpty() and gold.exceptAll(built).isEmpty(), table
    current = io.read(spark, cfg, "gold", "dim_customer").where("is_current")
    assert bare("dim_customer").select("customer_id").exceptAll(current.select("customer_id")).isEmpty()
    assert bare("customer_360").count() == io.read(spark, cfg, "gold", "customer_360").count()


def test_the_hourly_floor_commits_a_one_percent_batch_into_copies_and_leaves_the_lake_alone(
    spark, baseline, tmp_path
):
    from pathlib import Path

    from lakehouse import bench_bare
    from lakehouse import tables as io

    cfg, _summary, _gold = baseline
    keys = {
        ("bronze", "orders"): ["order_id"],
        ("silver", "fx_rates"): ["rate_date", "currency"],
        ("gold", "fact_orders"): ["order_id"],
    }
    before = {lt: io.version(spark, cfg, *lt) for lt in keys}
    lake = Path(cfg.lake_root.removeprefix("file://"))
    floor = bench_bare.commit_batches(spark, lake, tmp_path / "floor", keys)

    assert set(floor["seconds"]) == {"bronze", "silver", "gold"}
    assert all(s > 0 for s in floor["seconds"].values())
    for layer, table in keys:
        n = io.read(spark, cfg, layer, table).count()
        assert 0 < floor["rows"][layer] <= 0.03 * n, (layer, floor["rows"][layer], n)  # ~1 % of the table
    assert {lt: io.version(spark, cfg, *lt) for lt in keys} == before  # copies were written, not the lake
    assert not (tmp_path / "floor").exists()
