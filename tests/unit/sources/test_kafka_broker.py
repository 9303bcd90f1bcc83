"""The local Kafka source's broker: a real Kafka (Maven jars, its own JVM) on loopback, fed each generated
record file once, keeping its topic across restarts — what lets the extract use ``format("kafka")`` locally."""

from __future__ import annotations

import json

import pytest

from lakehouse.standins.kafka_broker import BrokerError, KafkaBroker, publish

TOPIC = "lakehouse.events"


def _records(folder, name, rows):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        {
            "topic": TOPIC,
            "partition": p,
            "offset": o,
            "timestamp": "2024-07-01 00:00:00",
            "key": None,
            "value": v,
        }
        for p, o, v in rows
    ]
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in lines))


def _topic(spark, broker):
    """(partition, offset, value) of every message in the topic, read with Spark's Kafka source."""
    df = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", broker.bootstrap)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .load()
    )
    return sorted((r.partition, r.offset, r.value.decode()) for r in df.collect())


def test_records_are_produced_once_in_offset_order_and_survive_a_restart(spark, tmp_path):
    events, data = tmp_path / "events", tmp_path / "broker"
    _records(events, "part-00000.jsonl", [(0, 1, '{"e": 2}'), (0, 0, '{"e": 1}'), (2, 0, "not json")])
    broker = KafkaBroker(data)
    with broker:
        assert broker.proc.poll() is None and broker.bootstrap.startswith("127.0.0.1:")
        assert publish(spark, broker, events, TOPIC) == 3
        assert publish(spark, broker, events, TOPIC) == 0  # the ledger: a file goes out once
        # the broker assigns offsets in the order the stand-in sends: the generated ones
        assert _topic(spark, broker) == [(0, 0, '{"e": 1}'), (0, 1, '{"e": 2}'), (2, 0, "not json")]
        first_port, proc = broker.port, broker.proc
    assert proc.poll() is not None and broker.proc is None  # stopped with the block

    _records(events, "part-00001.jsonl", [(1, 0, '{"e": 3}')])
    with KafkaBroker(data) as again:  # new ports, same log directory: the topic is still there
        assert publish(spark, again, events, TOPIC) == 1
        got = _topic(spark, again)
    assert len(got) == 4 and (1, 0, '{"e": 3}') in got
    assert first_port is not None


def test_a_record_for_a_partition_the_topic_lacks_is_refused_before_sending(spark, tmp_path):
    events = tmp_path / "events"
    _records(events, "part-00000.jsonl", [(0, 0, '{"e": 1}'), (7, 0, '{"e": 2}')])
    with KafkaBroker(tmp_path / "broker") as broker, pytest.raises(BrokerError, match=r"partition in 0\.\.2"):
        publish(spark, broker, events, TOPIC)
    assert not (tmp_path / "broker" / "published.json").exists()


def test_a_broker_left_by_a_killed_driver_is_stopped_by_the_next_start(spark, tmp_path):
    """A driver SIGKILLed mid-run never stops its broker, which keeps the log directory locked; the next start
    finds it by its pidfile and stops it (and only a kafka.Kafka JVM on this directory's config)."""
    import os
    import signal

    events, data = tmp_path / "events", tmp_path / "broker"
    _records(events, "part-00000.jsonl", [(0, 0, '{"e": 1}')])
    orphan = KafkaBroker(data).start()
    publish(spark, orphan, events, TOPIC)
    leftover = orphan.proc
    orphan.proc = orphan.port = None  # what a killed driver leaves: the JVM and its pidfile
    assert leftover.poll() is None and (data / "broker.pid").read_text() == str(leftover.pid)
    try:
        with KafkaBroker(data) as again:
            assert leftover.wait(30) is not None  # the orphan was stopped, its log lock released
            assert _topic(spark, again) == [(0, 0, '{"e": 1}')]  # and the topic is intact
            assert (data / "broker.pid").read_text() == str(again.proc.pid)
        assert not (data / "broker.pid").exists()
    finally:
        if leftover.poll() is None:
            os.kill(leftover.pid, signal.SIGKILL)
    (data / "broker.pid").write_text(str(os.getpid()))  # a pid that is not a broker is never killed
    with KafkaBroker(data):
        pass


def test_a_checkpoint_another_source_wrote_is_refused_naming_the_folder(spark, tmp_lake):
    from pathlib import Path

    from lakehouse.sources.kafka import TOPIC, checkpoint, refuse_foreign_checkpoint

    refuse_foreign_checkpoint(spark, tmp_lake)  # no checkpoint yet: a first run
    offsets = Path(checkpoint(tmp_lake).removeprefix("file://")) / "offsets"
    offsets.mkdir(parents=True)
    meta = '{"batchWatermarkMs":0,"batchTimestampMs":1,"conf":{}}'
    (offsets / "0").write_text(f"v1\n{meta}\n{json.dumps({TOPIC: {'0': 10}})}")
    refuse_foreign_checkpoint(spark, tmp_lake)  # the topic's own offsets
    (offsets / "1").write_text(f'v1\n{meta}\n{{"logOffset":3}}')  # Spark's file source, before the broker
    with pytest.raises(
        RuntimeError, match=r"checkpoints/kafka/realtime_events holds offsets of another source"
    ):
        refuse_foreign_checkpoint(spark, tmp_lake)
