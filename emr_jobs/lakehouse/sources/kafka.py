"""Kafka topic ``lakehouse.events`` -> bronze.realtime_events with Structured Streaming.

Both paths yield the Kafka source's columns (topic, partition, offset, timestamp, value) and go through
``parse_messages`` — the same from_json with the contract schema, malformed values kept as
``_parse_error = malformed_json`` with the raw text. Checkpoints live under
``lake://checkpoints/kafka/<table>``, so each message is processed once across runs.

* AWS: ``format("kafka")`` with bootstrap servers and SASL settings from the secret (spark-sql-kafka
  comes from the emr_serverless module's ``spark_packages``; the EMR image lacks it).
* Local: **the same** ``format("kafka")`` source against a real Kafka broker on 127.0.0.1
  (lakehouse.standins.kafka_broker: Apache Kafka's jars from Maven Central, its own JVM, PLAINTEXT), started
  for the length of the run; the generated records (``<sources_dir>/kafka/events/*.jsonl``) not yet
  delivered are produced to the topic first (a continuous run keeps producing files that appear meanwhile).
  Its log directory persists under ``<sources_dir>/kafka/broker``,
  so offsets and the checkpoint agree from one run to the next.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from lakehouse.contracts import Contract, load_contract

log = logging.getLogger("lakehouse.sources.kafka")

TABLE = "realtime_events"
TOPIC = "lakehouse.events"
# The batch extract (extract_kafka, availableNow) and the continuous stream (stream_kafka) share one
# checkpoint: only one may read the topic at a time. The stream holds this lock for as long as it runs
# (renewed in the background); a batch run that finds it held has nothing to do — the stream is loading.
TOPIC_LOCK = f"kafka_topic_{TABLE}"
TOPIC_LOCK_TTL_S = 900
FOLLOW_S = 5.0  # locally, how often a continuous run's stand-in produces record files that appeared meanwhile
RECORD_SCHEMA = "topic string, partition int, offset bigint, timestamp timestamp, key string, value string"


def source_options(bootstrap_servers: str, topic: str = TOPIC) -> dict[str, str]:
    """What every read of the topic sets, on AWS and locally."""
    return {
        "kafka.bootstrap.servers": bootstrap_servers,
        "subscribe": topic,
        "startingOffsets": "earliest",
        "failOnDataLoss": "false",
    }


def kafka_options(secret: dict) -> dict[str, str]:
    if not secret.get("bootstrap_servers"):
        raise ValueError("kafka: secret lacks key 'bootstrap_servers'")
    opts = source_options(secret["bootstrap_servers"], secret.get("topic", TOPIC))
    opts["kafka.security.protocol"] = secret.get("security_protocol", "SASL_SSL")
    mech = secret.get("sasl_mechanism", "SCRAM-SHA-512")
    opts["kafka.sasl.mechanism"] = mech
    if mech == "AWS_MSK_IAM":
        opts["kafka.sasl.jaas.config"] = "software.amazon.msk.auth.iam.IAMLoginModule required;"
        opts["kafka.sasl.client.callback.handler.class"] = (
            "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
        )
    else:
        if not (secret.get("username") and secret.get("password")):
            raise ValueError("kafka: secret lacks 'username'/'password' for SASL/SCRAM")
        user, pw = (secret[k].replace('"', '\\"') for k in ("username", "password"))
        opts["kafka.sasl.jaas.config"] = (
            f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{user}" password="{pw}";'
        )
    return opts


def message_schema(contract: Contract):
    """The JSON value's fields, read as text (the contract check casts), plus the corrupt-record slot."""
    from pyspark.sql.types import StringType, StructField, StructType

    fields = [
        StructField(c.name, StringType(), True) for c in contract.columns if not c.name.startswith("kafka_")
    ]
    return StructType(fields + [StructField("_corrupt", StringType(), True)])


def parse_messages(df, contract: Contract | None = None):
    """Kafka records (value as string) -> contract columns as text + control columns for validation."""
    from pyspark.sql import functions as F

    contract = contract or load_contract("bronze", TABLE)
    parsed = F.from_json(
        F.col("value"),
        message_schema(contract),
        {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt"},
    )
    out = df.select(
        parsed.alias("m"),
        "value",
        F.col("partition").alias("kafka_partition"),
        F.col("offset").alias("kafka_offset"),
    )
    bad = F.col("m").isNull() | F.col("m._corrupt").isNotNull() | ~F.trim(F.col("value")).startswith("{")
    cols = [F.col(f"m.{c.name}").alias(c.name) for c in contract.columns if not c.name.startswith("kafka_")]
    return out.select(
        *cols,
        F.col("kafka_partition").cast("string").alias("kafka_partition"),
        F.col("kafka_offset").cast("string").alias("kafka_offset"),
        F.when(bad, F.lit("malformed_json")).alias("_parse_error"),
        F.col("value").alias("_raw_record"),
    )


@contextmanager
def topic_options(cfg, spark, *, follow_s: float | None = None) -> Iterator[dict[str, str]]:
    """The Kafka source's options for the length of a run: the cluster from the secret on AWS; locally the
    loopback broker, started (and the undelivered generated records produced to it) for the block.
    ``follow_s`` (a continuous run): locally, record files that appear meanwhile are produced every
    ``follow_s`` seconds, as a live topic would receive them."""
    if cfg.source_mode == "aws":
        from lakehouse.secrets import get_secret

        yield kafka_options(get_secret(cfg, "kafka"))
        return
    import threading

    from lakehouse.standins.kafka_broker import KafkaBroker, publish

    events = cfg.sources_dir / "kafka" / "events"
    with KafkaBroker(cfg.sources_dir / "kafka" / "broker") as broker:
        publish(spark, broker, events, TOPIC)
        stop = threading.Event()

        def follow() -> None:
            while not stop.wait(follow_s):
                try:
                    publish(spark, broker, events, TOPIC)
                except Exception as exc:  # noqa: BLE001 - a stand-in hiccup: the next round tries again
                    log.warning("kafka stand-in: could not produce new records: %s", exc)

        feeder = threading.Thread(target=follow, name="kafka-stand-in-feed", daemon=True)
        if follow_s:
            feeder.start()
        try:
            yield source_options(broker.bootstrap)
        finally:
            stop.set()
            if follow_s:
                feeder.join()  # a produce in flight finishes before the broker stops


def read_stream(spark, options: dict[str, str]):
    from pyspark.sql import functions as F

    raw = spark.readStream.format("kafka").options(**options).load()
    return raw.select(
        "topic",
        "partition",
        "offset",
        "timestamp",
        F.col("key").cast("string").alias("key"),
        F.col("value").cast("string").alias("value"),
    )


def checkpoint(cfg, table: str = TABLE) -> str:
    return cfg.resolve(f"lake://checkpoints/kafka/{table}")


def refuse_foreign_checkpoint(spark, cfg) -> None:
    """Fail with the folder to remove when the checkpoint's last offsets are not this topic's.

    A local lake made before the local runs used a real broker holds a file-source checkpoint
    (``{"logOffset": n}``); the Kafka source cannot resume it, and Spark's own error names neither the
    folder nor the way out. Removing it is safe: the topic is read again from the start, and bronze MERGEs by
    key, so rows already loaded are not loaded twice."""
    import json

    from lakehouse.lakefiles import spark_text

    jvm = spark._jvm
    folder = jvm.org.apache.hadoop.fs.Path(f"{checkpoint(cfg)}/offsets")
    fs = folder.getFileSystem(spark._jsc.hadoopConfiguration())
    if not fs.exists(folder):
        return
    batches = [s.getPath().getName() for s in fs.listStatus(folder)]
    batches = sorted(int(b) for b in batches if b.isdigit())
    if not batches:
        return
    lines = spark_text(spark, f"{checkpoint(cfg)}/offsets/{batches[-1]}").splitlines()
    # an offsets file: the version ("v1"), the batch metadata, then one line per source
    offsets = [line for line in lines[2:] if line.strip()]
    foreign = [line for line in offsets if not (line.startswith("{") and TOPIC in json.loads(line))]
    if foreign:
        raise RuntimeError(
            f"the Kafka checkpoint {checkpoint(cfg)} holds offsets of another source ({foreign[0][:80]}), not "
            f"of topic {TOPIC}: it is from a lake made before local runs read a real broker. Remove that "
            "folder and run again (the topic is re-read from its start; bronze MERGEs by key, so nothing "
            "is loaded twice)"
        )


def run_kafka(
    ctx,
    *,
    spark=None,
    available_now: bool = True,
    processing_time: str = "1 minute",
    timeout_s: float | None = None,
) -> dict:
    """Run the stream into bronze; returns {"bronze.realtime_events": Accounting} summed over micro-batches.
    Each micro-batch's batch id derives from the checkpointed epoch: a replayed epoch is the same batch."""
    from dataclasses import replace
    from datetime import datetime, timezone

    from lakehouse.accounting import Accounting
    from lakehouse.bronze import ensure_table, load_table
    from lakehouse.metadata import Batch
    from lakehouse.state import LockHeld

    spark = spark or ctx.spark
    cfg = ctx.cfg
    contract = load_contract("bronze", TABLE)
    total = Accounting(f"bronze.{TABLE}")
    app = spark.sparkContext.applicationId

    def process(batch_df, epoch_id: int) -> None:
        nonlocal total
        parsed = parse_messages(batch_df, contract)
        # Keyed by checkpoint location + epoch: a replayed epoch is the same batch.
        batch = Batch.new("kafka", ctx.execution_date, key=f"{checkpoint(cfg)}|{epoch_id}")
        if not available_now:
            # a continuous stream lives for days: its rows belong to the day they arrive, not to the day the
            # stream started (silver's backfill selects bronze rows by _execution_date)
            batch = replace(batch, execution_date=datetime.now(timezone.utc).date())
        acct = load_table(spark, cfg, TABLE, parsed, batch)
        total = total.add(acct)
        ctx.count("RecordsIn", acct.rows_in, table=TABLE)
        ctx.count("RecordsOut", acct.loaded, table=TABLE)
        ctx.count("RecordsQuarantined", acct.quarantined, table=TABLE)

    owner = f"{ctx.job}:{ctx.run_id}"
    try:
        ctx.state.acquire_lock(TOPIC_LOCK, owner, TOPIC_LOCK_TTL_S)
    except LockHeld as exc:
        if not available_now:
            raise  # the stream waits for the batch run to finish: EMR restarts a failed streaming job
        ctx.log.info(
            "the topic is being read by another run (the continuous stream): nothing to do",
            extra={"table": TABLE, "holder": exc.holder},
        )
        ensure_table(spark, cfg, TABLE)
        return {total.table: total}
    renewing = _keep_lock(ctx.state, owner)  # a long batch run, like the stream, outlives the TTL
    try:
        follow = None if available_now else FOLLOW_S
        refuse_foreign_checkpoint(spark, cfg)
        with topic_options(cfg, spark, follow_s=follow) as options:
            stream = read_stream(spark, options)
            writer = stream.writeStream.foreachBatch(process).option("checkpointLocation", checkpoint(cfg))
            writer = (
                writer.trigger(availableNow=True)
                if available_now
                else writer.trigger(processingTime=processing_time)
            )
            query = writer.queryName(f"kafka_{TABLE}_{app}".replace("-", "_")).start()
            try:
                query.awaitTermination(timeout_s) if timeout_s else query.awaitTermination()
            finally:
                if query.isActive:
                    query.stop()
    finally:
        renewing.set()
        ctx.state.release_lock(TOPIC_LOCK, owner)
    ensure_table(spark, cfg, TABLE)
    return {total.table: total}


def _keep_lock(state, owner: str, every_s: float = TOPIC_LOCK_TTL_S / 3):
    """Renew the topic lock every ``every_s`` until the returned event is set (a stream outlives any TTL; a
    crashed run stops renewing and its lock expires)."""
    import threading

    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(every_s):
            try:
                state.acquire_lock(TOPIC_LOCK, owner, TOPIC_LOCK_TTL_S)  # same owner: extends the TTL
            except Exception as exc:  # noqa: BLE001 - keep trying; the next renewal may succeed
                log.warning("could not renew the Kafka topic lock: %s", exc)

    threading.Thread(target=renew, name="kafka-topic-lock", daemon=True).start()
    return stop
