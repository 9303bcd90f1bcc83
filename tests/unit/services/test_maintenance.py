"""Maintenance tasks on a tiny local lake; Glue registration against moto; the quality entry point."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from lakehouse import maintenance as m
from lakehouse.config import ConfigError

pytestmark = pytest.mark.spark
REPO = Path(__file__).resolve().parents[3]


def _write(spark, cfg, layer, table, rows, schema, mode="append"):
    spark.createDataFrame(rows, schema).write.format("delta").mode(mode).save(cfg.table_path(layer, table))


@pytest.fixture
def small_lake(spark, tmp_lake):
    schema = "order_id string, customer_sk bigint, product_sk bigint, order_month string"
    for i in range(4):  # four appends = four small files
        _write(spark, tmp_lake, "gold", "fact_orders", [(f"o{i}", i, i, "2024-03")], schema)
    _write(spark, tmp_lake, "silver", "customers", [("c1",)], "customer_id string")
    return tmp_lake


def test_config_file_is_valid_and_zorder_columns_exist_in_contracts():
    cfg = m.load_config()
    assert cfg.retention_hours >= 168 and cfg.zorder["gold/fact_orders"] == ("customer_sk", "product_sk")
    assert {r.ref: (r.column, r.days) for r in cfg.row_retention} == {
        "quarantine/quarantined_rows": ("_execution_date", 90),
        "audit/dq_results": ("execution_date", 400),
    }


def test_zorder_on_a_partition_column_is_refused(tmp_path):
    bad = tmp_path / "maintenance.yaml"
    bad.write_text(
        "vacuum: {retention_hours: 168}\nretention: {quarantine/quarantined_rows: {column: _execution_date, days: 90}}\noptimize: {layers: [gold], zorder: {gold/fact_orders: [order_month]}}\n"
    )
    with pytest.raises(ConfigError, match="partition columns"):
        m.load_config(bad)
    bad.write_text(
        "vacuum: {retention_hours: 168}\nretention: {quarantine/quarantined_rows: {column: _execution_date, days: 90}}\noptimize: {layers: [gold], zorder: {gold/fact_orders: [nope]}}\n"
    )
    with pytest.raises(ConfigError, match=r"column\(s\) \['nope'\] not in glue/gold/fact_orders.yaml"):
        m.load_config(bad)


@pytest.mark.parametrize(
    ("retention", "error"),
    [
        (None, r"key 'retention' must map '<layer>/<table>' to \{column, days\}"),
        ("{audit/dq_results: {column: execution_date, days: 400}}", r"must list quarantine/quarantined_rows"),
        ("{quarantine/quarantined_rows: {column: _execution_date, days: 0}}", r"days must be .* >= 1, got 0"),
        (
            "{quarantine/quarantined_rows: {column: _execution_date}}",
            r"must be \{column: <date column>, days",
        ),
        ("{quarantine/quarantined_rows: {column: reason, days: 9}}", r"column: reason is string, not a date"),
        ("{quarantine/quarantined_rows: {column: nope, days: 9}}", r"has no column 'nope'"),
        ("{quarantine/nope: {column: _execution_date, days: 9}}", r"no contract for quarantine.nope"),
    ],
    ids=["missing", "no-quarantine", "zero-days", "no-days", "not-a-date", "unknown-column", "unknown-table"],
)
def test_row_retention_is_checked_before_anything_runs(tmp_path, retention, error):
    bad = tmp_path / "maintenance.yaml"
    bad.write_text(
        "vacuum: {retention_hours: 168}\noptimize: {layers: [gold]}\n"
        + (f"retention: {retention}\n" if retention else "")
    )
    with pytest.raises(ConfigError, match=error):
        m.load_config(bad)


def test_expired_rows_are_deleted_per_table_and_a_rerun_deletes_nothing(spark, tmp_lake):
    from lakehouse import tables as io

    mcfg = replace(
        m.load_config(),
        row_retention=(
            m.RowRetention("quarantine", "quarantined_rows", "_execution_date", 30),
            m.RowRetention("audit", "dq_results", "evaluated_at", 10),  # a timestamp column
        ),
    )
    today = date(2024, 6, 30)
    # no tables yet: nothing to do
    assert [r["rows_deleted"] for r in m.expire_rows(spark, tmp_lake, mcfg, today)] == [0, 0]
    days = [date(2024, 1, 1), date(2024, 5, 30), date(2024, 5, 31), date(2024, 6, 30)]
    _write(
        spark,
        tmp_lake,
        "quarantine",
        "quarantined_rows",
        [("orders", "null_key", d) for d in days],
        "source_table string, reason_code string, _execution_date date",
    )
    stamps = [datetime(2024, 6, 19, 23, 59), datetime(2024, 6, 20, 0, 0), datetime(2024, 6, 30, 2, 0)]
    _write(
        spark,
        tmp_lake,
        "audit",
        "dq_results",
        [("r1", t) for t in stamps],
        "run_id string, evaluated_at timestamp",
    )
    out = m.expire_rows(spark, tmp_lake, mcfg, today)
    assert out == [
        {"table": "quarantine.quarantined_rows", "before": "2024-05-31", "rows_deleted": 2},
        {"table": "audit.dq_results", "before": "2024-06-20", "rows_deleted": 1},
    ]
    left = io.read(spark, tmp_lake, "quarantine", "quarantined_rows")
    assert sorted(r._execution_date for r in left.collect()) == [date(2024, 5, 31), date(2024, 6, 30)]
    assert io.read(spark, tmp_lake, "audit", "dq_results").count() == 2
    versions = [io.version(spark, tmp_lake, r.layer, r.table) for r in mcfg.row_retention]
    assert [r["rows_deleted"] for r in m.expire_rows(spark, tmp_lake, mcfg, today)] == [0, 0]
    # no empty commit
    assert [io.version(spark, tmp_lake, r.layer, r.table) for r in mcfg.row_retention] == versions


def test_optimize_zorders_configured_tables_and_compacts_others(spark, small_lake):
    assert m.discover_tables(spark, small_lake, ["gold", "silver", "bronze"]) == [
        ("gold", "fact_orders"),
        ("silver", "customers"),
    ]
    out = {r["table"]: r for r in m.optimize(spark, small_lake)}
    assert out["gold.fact_orders"]["zorder_by"] == ["customer_sk", "product_sk"]
    assert out["gold.fact_orders"]["files_removed"] == 4 and out["gold.fact_orders"]["files_added"] == 1
    health = {t["table"]: t for t in m.table_health(spark, small_lake)["tables"]}
    assert (
        health["gold.fact_orders"]["files"] == 1
        and health["gold.fact_orders"]["last_operation"] == "OPTIMIZE"
    )
    assert health["gold.fact_orders"]["version"] == 4 and health["gold.fact_orders"]["size_bytes"] > 0


def test_vacuum_refuses_short_retention_unless_overridden(spark, small_lake):
    with pytest.raises(m.MaintenanceError, match="below 168 h"):
        m.vacuum(spark, small_lake, retention_hours=0)
    m.optimize(spark, small_lake)
    kept = m.vacuum(spark, small_lake)  # 168 h: the files OPTIMIZE replaced are still young
    assert all(r["data_files_deleted"] == 0 for r in kept)
    out = {r["table"]: r for r in m.vacuum(spark, small_lake, retention_hours=0, allow_short_retention=True)}
    assert out["gold.fact_orders"]["data_files_deleted"] >= 4  # the 4 files OPTIMIZE compacted away
    assert (
        m._file_count(spark, small_lake.table_path("gold", "fact_orders")) == 1
    )  # only the live file is left
    assert spark.conf.get("spark.databricks.delta.retentionDurationCheck.enabled") == "true"  # restored
    assert spark.read.format("delta").load(small_lake.table_path("gold", "fact_orders")).count() == 4


def test_backfill_runs_each_date_in_order_and_stops_at_a_failure(tmp_lake):
    calls = []

    class Summary:
        def __init__(self, d, status):
            self.run_id, self.status = f"r-{d}", status

    def fake_run(cfg, d, schedule, only, spark, backfill):
        calls.append((d, backfill))
        return Summary(d, "failed" if d == date(2024, 3, 3) else "succeeded")

    done = m.backfill(tmp_lake, date(2024, 3, 1), date(2024, 3, 2), run=fake_run, progress=lambda _: None)
    assert [x["execution_date"] for x in done] == ["2024-03-01", "2024-03-02"]
    assert calls == [(date(2024, 3, 1), True), (date(2024, 3, 2), True)]  # each run is a backfill run
    with pytest.raises(m.MaintenanceError, match="stopped at 2024-03-03"):
        m.backfill(tmp_lake, date(2024, 3, 3), date(2024, 3, 5), run=fake_run, progress=lambda _: None)
    assert calls[-1][0] == date(2024, 3, 3)  # later dates were not run
    with pytest.raises(m.MaintenanceError, match="before --start"):
        m.date_range(date(2024, 3, 2), date(2024, 3, 1), 10)
    with pytest.raises(m.MaintenanceError, match="exceeds backfill.max_days=10"):
        m.date_range(date(2024, 1, 1), date(2024, 3, 1), 10)


def test_register_catalog_is_a_noop_locally_and_creates_glue_tables(tmp_lake, aws):
    from lakehouse.aws import client
    from lakehouse.contracts import all_contracts

    assert m.register_catalog(tmp_lake) == []
    glue = client("glue", "eu-west-1")
    for layer in ("bronze", "gold"):
        glue.create_database(DatabaseInput={"Name": f"lakehouse_dev_{layer}"})
    cfg = replace(
        tmp_lake,
        lake_root="s3://lake-bucket",
        region="eu-west-1",
        glue_databases={"bronze": "lakehouse_dev_bronze", "gold": "lakehouse_dev_gold"},
    )
    done = m.register_catalog(cfg)
    expected = len(all_contracts("bronze")) + len(all_contracts("gold"))
    assert len(done) == expected and {d["action"] for d in done} == {"created"}
    t = glue.get_table(DatabaseName="lakehouse_dev_gold", Name="fact_orders")["Table"]
    assert t["StorageDescriptor"]["Location"] == "s3://lake-bucket/gold/fact_orders"
    assert t["Parameters"]["table_type"] == "DELTA" and [p["Name"] for p in t["PartitionKeys"]] == [
        "order_month"
    ]
    bronze = glue.get_table(DatabaseName="lakehouse_dev_bronze", Name="orders")["Table"]
    assert "_batch_id" in {c["Name"] for c in bronze["StorageDescriptor"]["Columns"]}  # metadata columns
    assert {d["action"] for d in m.register_catalog(cfg)} == {"updated"}  # re-run: update, no duplicates


def test_lineage_json_is_written_under_audit(spark, small_lake):
    path = Path(m.write_lineage(spark, small_lake, date(2024, 3, 1), "run-1"))
    assert path.parent == Path(small_lake.lake_root) / "audit" / "lineage" / "2024-03-01"
    graph = json.loads(path.read_text())
    assert {"id": "gold.fact_orders", "version": 3, "last_operation": "WRITE"}.items() <= next(
        n for n in graph["nodes"] if n["id"] == "gold.fact_orders"
    ).items()
    edges = {(e["from"], e["to"]) for e in graph["edges"]}
    assert ("source:snowflake", "bronze.orders") in edges
    assert any(to == "gold.fact_orders" for _, to in edges)


def _entrypoint(name):
    spec = importlib.util.spec_from_file_location(
        f"ep_{name}", REPO / "emr_jobs" / "entrypoints" / f"{name}.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_maintenance_entrypoint_refuses_unsafe_vacuum_before_optimizing(
    spark, small_lake, monkeypatch, capsys
):
    from lakehouse.jobs import main

    monkeypatch.setenv("LAKEHOUSE_LAKE_DIR", small_lake.lake_root)
    ep = _entrypoint("maintenance")
    argv = [
        "--env",
        "local",
        "--execution-date",
        "2024-03-01",
        "--task",
        "optimize_vacuum",
        "--retention-hours",
        "1",
    ]
    assert main(ep.JOB, ep.add_args, ep.body, argv, job_name=ep.job_name, spark=spark) == 1
    assert "below 168 h" in capsys.readouterr().err
    history = spark.sql(f"DESCRIBE HISTORY delta.`{small_lake.table_path('gold', 'fact_orders')}`").collect()
    assert history[0]["operation"] == "WRITE"  # nothing was optimized


def test_quality_entrypoint_exits_1_on_critical_failure_and_writes_results(
    spark, tmp_lake, monkeypatch, capsys
):
    from lakehouse.jobs import main

    monkeypatch.setenv("LAKEHOUSE_LAKE_DIR", tmp_lake.lake_root)
    _write(
        spark,
        tmp_lake,
        "silver",
        "orders",
        [("o1", "c1", "placed", 1), ("o1", "c1", "placed", 1)],
        "order_id string, customer_id string, status string, quantity int",
    )
    suite = Path(tmp_lake.lake_root).parent / "mini.yaml"
    suite.write_text(
        "suite: mini\ntables:\n  - table: silver/orders\n    checks:\n"
        "      - {check: unique, columns: [order_id]}\n      - {check: row_count, min: 1}\n"
    )
    ep = _entrypoint("quality")
    rc = main(
        ep.JOB,
        ep.add_args,
        ep.body,
        ["--env", "local", "--execution-date", "2024-03-01", "--suite", str(suite), "--run-id", "q-1"],
        job_name=ep.job_name,
        spark=spark,
    )
    assert rc == 1
    assert "dq_mini: FAILED (DQError: DQ suite 'mini': 1 critical check(s) failed" in capsys.readouterr().err
    stored = spark.read.format("delta").load(tmp_lake.table_path("audit", "dq_results")).collect()
    assert {(r["name"], r["passed"]) for r in stored} == {("unique:order_id", False), ("row_count", True)}
    assert (Path(tmp_lake.lake_root) / "audit" / "reports" / "dq_q-1.json").is_file()
    metrics = [
        json.loads(x) for x in (Path(tmp_lake.metrics["path"]) / "dq_mini.jsonl").read_text().splitlines()
    ]
    assert {d["metric"]: d["value"] for d in metrics}["DQCriticalFailures"] == 1
