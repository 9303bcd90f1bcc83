"""Bronze end to end on tiny generated data: every source, every planted defect, balance, re-runs,
incremental watermarks. One ingest of all sources is shared by the module (Spark time is the cost)."""

import datetime as dt
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "sources"))
from helpers import make_ctx  # noqa: E402

from lakehouse import bronze, tables  # noqa: E402
from lakehouse.contracts import load_contract, spark_type  # noqa: E402
from lakehouse.generator import defect_counts, generate  # noqa: E402
from lakehouse.sources import redshift  # noqa: E402
from lakehouse.standins import jdbc  # noqa: E402

pytestmark = pytest.mark.spark
SOURCES = ["snowflake", "redshift", "salesforce", "fx_api", "s3_landing", "kafka"]
FAST = {"client_kw": {"sleep": lambda s: None}}


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    from lakehouse.config import embedded_default, validate

    root = tmp_path_factory.mktemp("bronze_lake")
    raw = {k: v for k, v in embedded_default().items() if v is not None}
    raw.update(
        lake_root=str(root),
        state={"backend": "local", "path": str(root / "_state")},
        metrics={"backend": "jsonl", "path": str(root / "_metrics")},
    )
    cfg = validate(raw, "test")
    manifest = generate(root, scale=0.01, seed=7, spark=spark)
    jdbc.load_events(spark, redshift.local_connection(cfg), root / "_sources/redshift/behaviour_events.csv")
    ctx = make_ctx(cfg, spark)
    acct = {}
    for s in SOURCES:
        acct.update(bronze.ingest(ctx, s, **(FAST if s in ("salesforce", "fx_api") else {})))
    return cfg, ctx, manifest, acct


def _quarantine(spark, cfg):
    rows = (
        tables.read(spark, cfg, "quarantine", "quarantined_rows")
        .groupBy("source_table", "reason_code")
        .sum("occurrences")
        .collect()
    )
    return {(r[0], r[1]): r[2] for r in rows}


def test_every_planted_defect_is_quarantined_with_its_reason(spark, lake):
    cfg, _, manifest, _ = lake
    got = _quarantine(spark, cfg)
    expected = defect_counts(manifest)
    assert expected and all(got.get(k) == n for k, n in expected.items()), (expected, got)
    assert got[("landing", "unknown_file")] == 1
    assert set(got) - set(expected) == {("landing", "unknown_file")}  # nothing else was refused


def test_balance_holds_and_duplicates_are_deduplicated(lake):
    _, _, manifest, acct = lake
    assert all(a.balanced for a in acct.values()), {k: a.to_dict() for k, a in acct.items()}
    dedup = {d["table"]: 0 for d in manifest["defects"]}
    for d in manifest["defects"]:
        if d["outcome"] == "deduplicated":
            dedup[d["table"]] += d["count"]
    assert acct["bronze.orders"].deduplicated == dedup["orders"]
    assert acct["bronze.realtime_events"].deduplicated == dedup["realtime_events"]


@pytest.mark.parametrize(
    "table",
    [
        "orders",
        "customers",
        "products",
        "behaviour_events",
        "sf_accounts",
        "sf_contacts",
        "sf_opportunities",
        "fx_rates",
        "erp_invoices",
        "hr_employees",
        "vendor_catalog",
        "realtime_events",
    ],
)
def test_bronze_table_conforms_to_contract(spark, lake, table):
    cfg = lake[0]
    c = load_contract("bronze", table)
    df = tables.read(spark, cfg, "bronze", table)
    types = {f.name: f.dataType for f in df.schema.fields}
    for col in c.columns:
        assert types[col.name] == spark_type(col.type), (table, col.name)
    assert {"_ingested_at", "_batch_id", "_source_system", "_execution_date"} <= set(types)
    assert df.count() > 0
    for k in c.business_key:
        assert df.where(f"`{k}` IS NULL").count() == 0


def test_drift_add_column_and_latest_version(spark, lake):
    cfg = lake[0]
    assert "cost_center" in tables.read(spark, cfg, "bronze", "hr_employees").columns
    orders = tables.read(spark, cfg, "bronze", "orders")
    assert orders.groupBy("order_id").count().where("count > 1").count() == 0


def test_rerun_changes_nothing_and_files_are_ingested_once(spark, lake):
    cfg, ctx, _, _ = lake
    before = {
        t: tables.version(spark, cfg, "bronze", t)
        for t in ("orders", "erp_invoices", "sf_contacts", "behaviour_events")
    }
    q_before = _quarantine(spark, cfg)
    for s in ("snowflake", "s3_landing", "salesforce", "redshift", "kafka"):
        again = bronze.ingest(ctx, s, **(FAST if s == "salesforce" else {}))
        assert all(a.rows_in == 0 for a in again.values()), again
    assert before == {t: tables.version(spark, cfg, "bronze", t) for t in before}
    assert _quarantine(spark, cfg) == q_before


def test_incremental_watermark_no_gap_no_double(spark, lake):
    cfg, ctx, _, _ = lake
    wm = ctx.state.get_watermark("bronze", "orders")
    folder = Path(cfg.lake_root) / "_sources/snowflake/orders"
    existing = tables.read(spark, cfg, "bronze", "orders").orderBy("order_id").first()
    later = (dt.datetime.fromisoformat(wm) + dt.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    (folder / "part-99999.csv").write_text(
        "order_id,customer_id,product_id,order_ts,quantity,unit_price,currency,status,updated_at\n"
        f"{existing.order_id},{existing.customer_id},{existing.product_id},2024-06-01 00:00:00,9,1.00,USD,returned,{later}\n"
        f"ONEW0001,{existing.customer_id},{existing.product_id},2024-06-01 00:00:00,1,1.00,USD,placed,{later}\n"
    )
    got = bronze.ingest(ctx, "snowflake")
    assert got["bronze.orders"].rows_in == 2 and got["bronze.customers"].rows_in == 0
    df = tables.read(spark, cfg, "bronze", "orders")
    assert df.where(f"order_id = '{existing.order_id}'").first().status == "returned"
    assert df.where("order_id = 'ONEW0001'").count() == 1
    assert ctx.state.get_watermark("bronze", "orders") == later
    assert bronze.ingest(ctx, "snowflake")["bronze.orders"].rows_in == 0


def test_new_landing_file_after_first_run_and_drift_fail(spark, lake, tmp_path):
    cfg, ctx, _, _ = lake
    erp = Path(cfg.lake_root) / "landing/erp/erp_invoices_20240701.csv"
    erp.write_text(
        "invoice_id,order_id,invoice_date,amount,currency,status\nINVN1,O1,2024-07-01,5.00,USD,open\n"
    )
    got = bronze.ingest(ctx, "s3_landing")
    assert got["bronze.erp_invoices"].rows_in == 1 and got["bronze.erp_invoices"].loaded == 1
    # vendor_catalog says drift: fail -> the run fails naming the table, and the file stays unrecorded
    from lakehouse.contracts import SchemaDriftError

    bad = spark.createDataFrame(
        [("V1", "n", "DE", "P1", "1.0", "USD", "x")],
        "vendor_id string, vendor_name string, country string, product_id string, "
        "supply_price string, currency string, surprise string",
    )
    out = Path(cfg.lake_root) / "landing/vendor/_tmp"
    bad.coalesce(1).write.parquet(str(out))
    next(out.glob("part-*.parquet")).rename(out.parent / "vendor_catalog_20240701.parquet")
    with pytest.raises(SchemaDriftError, match=r"bronze.vendor_catalog: extra column\(s\) \['surprise'\]"):
        bronze.ingest(ctx, "s3_landing")
    assert "vendor/vendor_catalog_20240701.parquet" not in ctx.state.seen_files("s3_landing")
    (out.parent / "vendor_catalog_20240701.parquet").unlink()


def test_a_continuous_stream_stamps_rows_with_the_day_they_arrive(spark, lake):
    """stream_kafka runs for days from one start date: its rows carry the date of their micro-batch (silver's
    backfill selects bronze rows by _execution_date), while the batch id stays keyed on the checkpoint."""
    import json

    from lakehouse.sources.kafka import run_kafka

    cfg, ctx, _, _ = lake
    value = {"event_id": "evt-continuous-1", "customer_id": "C0000001", "event_type": "page_view",
             "event_ts": "2024-07-01T01:00:00Z", "amount": None, "currency": "EUR"}  # fmt: skip
    record = {"topic": "lakehouse.events", "partition": 0, "offset": 9_000_000, "timestamp": "2024-07-01 01:00:00",
              "key": None, "value": json.dumps(value)}  # fmt: skip
    events = Path(cfg.lake_root) / "_sources/kafka/events"
    (events / "continuous-00001.jsonl").write_text(json.dumps(record) + "\n")
    later = {**record, "value": json.dumps({**value, "event_id": "evt-continuous-2"})}

    def arrives_while_streaming():  # the stand-in produces files that appear during a continuous run
        ledger = events.parent / "broker" / "published.json"
        deadline = time.monotonic() + 20
        while "continuous-00001.jsonl" not in (ledger.read_text() if ledger.exists() else ""):
            if time.monotonic() > deadline:
                return
            time.sleep(0.2)
        (events / "continuous-00002.jsonl").write_text(json.dumps(later) + "\n")  # after the first delivery

    writer = threading.Thread(target=arrives_while_streaming)
    writer.start()
    try:
        run_kafka(ctx, available_now=False, processing_time="1 second", timeout_s=25)
    finally:
        writer.join()
    rows = (
        tables.read(spark, cfg, "bronze", "realtime_events")
        .where("event_id like 'evt-continuous-%'")
        .select("event_id", "_execution_date")
        .collect()
    )
    assert sorted(r.event_id for r in rows) == ["evt-continuous-1", "evt-continuous-2"]
    assert {r._execution_date for r in rows} == {dt.datetime.now(dt.UTC).date()} != {ctx.execution_date}


def test_the_batch_extract_and_the_stream_never_read_the_topic_at_once(spark, lake):
    """They share one checkpoint: the batch run leaves the topic to a live stream, and a stream does not start
    while a batch run reads it (EMR restarts the failed streaming job)."""
    import json

    from lakehouse.sources.kafka import TOPIC_LOCK, run_kafka
    from lakehouse.state import LockHeld

    cfg, ctx, _, _ = lake
    record = {"topic": "lakehouse.events", "partition": 1, "offset": 9_000_001, "timestamp": "2024-07-01 02:00:00",
              "key": None, "value": json.dumps({"event_id": "evt-while-streamed", "customer_id": "C0000001",
                                                "event_type": "page_view", "event_ts": "2024-07-01T02:00:00Z"})}  # fmt: skip
    (Path(cfg.lake_root) / "_sources/kafka/events/locked-00001.jsonl").write_text(json.dumps(record) + "\n")

    def events():
        return tables.read(spark, cfg, "bronze", "realtime_events").where("event_id = 'evt-while-streamed'")

    ctx.state.acquire_lock(TOPIC_LOCK, "stream_kafka:live", 600)  # a live stream
    try:
        got = bronze.ingest(ctx, "kafka")
        assert got["bronze.realtime_events"].rows_in == 0 and events().count() == 0  # left to the stream
        with pytest.raises(LockHeld):
            run_kafka(ctx, available_now=False, processing_time="1 second", timeout_s=5)
    finally:
        ctx.state.release_lock(TOPIC_LOCK, "stream_kafka:live")
    # the stream gone, the batch run reads the topic again and lets go of it afterwards
    assert bronze.ingest(ctx, "kafka")["bronze.realtime_events"].rows_in == 1 and events().count() == 1
    ctx.state.acquire_lock(TOPIC_LOCK, "someone-else", 60)  # raises LockHeld if the batch run kept it
    ctx.state.release_lock(TOPIC_LOCK, "someone-else")


def test_an_empty_extract_writes_nothing_but_still_refuses_drift(spark, lake, monkeypatch):
    """Nothing past the watermark (the usual hourly case): no quarantine pass and no MERGE; a frame whose
    columns drifted is still refused by a ``drift: fail`` contract although it holds no row."""
    from pyspark.sql.types import StringType, StructField, StructType

    from lakehouse.contracts import SchemaDriftError
    from lakehouse.metadata import Batch

    cfg, _, _, _ = lake

    def no_write(*_a, **_k):
        raise AssertionError("an empty frame reached a writer")

    monkeypatch.setattr(bronze.tables, "merge", no_write)
    monkeypatch.setattr(bronze.quarantine, "write", no_write)
    schema = load_contract("bronze", "vendor_catalog").string_schema()
    empty = spark.createDataFrame([], schema)
    batch = Batch.new("s3_landing", dt.date(2024, 7, 1), key="vendor_catalog|empty")
    acct = bronze.load_table(spark, cfg, "vendor_catalog", empty, batch)
    assert (acct.table, acct.rows_in, acct.loaded, acct.quarantined, acct.balanced) == (
        "bronze.vendor_catalog",
        0,
        0,
        0,
        True,
    )
    drifted = spark.createDataFrame([], StructType([*schema.fields, StructField("surprise", StringType())]))
    with pytest.raises(SchemaDriftError, match=r"bronze.vendor_catalog: extra column\(s\) \['surprise'\]"):
        bronze.load_table(spark, cfg, "vendor_catalog", drifted, batch)
