"""A real Kafka broker on loopback for the local Kafka source: Apache Kafka's own jars from Maven Central.

The broker is the ``org.apache.kafka:kafka_2.13`` release, resolved once with the Ivy that ships inside
pyspark into ``<cache>/kafka-broker-<version>/`` and started as its own JVM in KRaft mode (one node that is
broker and controller) on two free 127.0.0.1 ports. Its log directory lives next to the generated records
(``<sources>/kafka/broker/``), so the topic keeps its messages and offsets from one run to the next, like a
real cluster.

``publish`` delivers the generated Kafka records (``<sources>/kafka/events/*.jsonl``: partition, key, value)
to the topic through Spark's Kafka sink, each file once (a ledger in the log directory; at least once if a run
dies mid-file), in offset order per
partition — so the broker's offsets are the generated ones. The extract then reads the topic with
``format("kafka")`` exactly as on AWS (lakehouse.sources.kafka), with PLAINTEXT instead of SASL.

    with KafkaBroker(sources_dir / "kafka" / "broker") as broker:
        publish(spark, broker, sources_dir / "kafka" / "events")
        spark.readStream.format("kafka").option("kafka.bootstrap.servers", broker.bootstrap) ...
"""

from __future__ import annotations

import base64
import glob
import json
import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

log = logging.getLogger("lakehouse.standins.kafka")

KAFKA_VERSION = "4.1.1"  # broker only; the Spark side speaks to it with spark-sql-kafka's kafka-clients
PARTITIONS = 3  # = the generator's partitions; the topic is created with them on first use
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0


class BrokerError(RuntimeError):
    """The local broker could not be fetched, started or fed."""


def broker_jars() -> Path:
    """The broker's jars (fetched from Maven Central on first use, then reused)."""
    from lakehouse.spark import cache_dir

    target = cache_dir() / f"kafka-broker-{KAFKA_VERSION}"
    if (target / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
        return target
    import pyspark

    ivy_jar = sorted(glob.glob(os.path.join(os.path.dirname(pyspark.__file__), "jars", "ivy-*.jar")))
    if not ivy_jar:
        raise BrokerError("pyspark ships no Ivy jar to fetch the Kafka broker with")
    partial = target.with_name(target.name + ".partial")
    cmd = [
        "java", "-jar", ivy_jar[-1],
        "-dependency", "org.apache.kafka", "kafka_2.13", KAFKA_VERSION,
        "-confs", "default",
        "-cache", str(cache_dir() / "ivy" / "cache"),
        "-retrieve", f"{partial}/[artifact]-[revision](-[classifier]).[ext]",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        tail = " ".join((done.stdout + done.stderr).split()[-40:])
        raise BrokerError(
            f"could not fetch org.apache.kafka:kafka_2.13:{KAFKA_VERSION} from Maven Central: {tail}"
        )
    partial.rename(target)  # whole or not at all: a half-fetched folder is never taken for the broker
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _is_our_broker(pid: int, props: Path) -> bool:
    """Whether ``pid`` is a live ``kafka.Kafka`` JVM started on ``props`` (a pidfile's pid may be reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:  # gone, or no /proc (then nothing is killed: a stale broker stays the user's to stop)
        return False
    return b"kafka.Kafka" in cmdline and str(props).encode() in cmdline


class KafkaBroker:
    """One KRaft node on 127.0.0.1, data in ``data_dir``; ``start``/``stop`` or a ``with`` block.

    The broker's pid is kept in ``data_dir/broker.pid``: a driver killed without its ``finally`` (SIGKILL,
    OOM) leaves its broker running and holding the log directory's lock; the next ``start`` stops it."""

    def __init__(self, data_dir: str | os.PathLike):
        self.data_dir = Path(data_dir)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise BrokerError("the broker is not running")
        return f"127.0.0.1:{self.port}"

    def _properties(self, port: int, controller: int) -> Path:
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{controller}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self.data_dir / "logs"),
            "num.partitions": str(PARTITIONS),
            "auto.create.topics.enable": "true",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "log.retention.hours": "-1",  # a stand-in keeps what it was given, like the generated files
        }
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "broker.pid"

    def _stop_stale(self) -> None:
        """Stop a broker an earlier run left on this log directory (its driver died without stopping it)."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return
        props = self.data_dir / "server.properties"
        if _is_our_broker(pid, props):
            log.warning(
                "stopping a kafka broker an earlier run left running (pid %s, %s)", pid, self.data_dir
            )
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while _is_our_broker(pid, props) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _is_our_broker(pid, props):
                os.kill(pid, signal.SIGKILL)
                while _is_our_broker(pid, props) and time.monotonic() < deadline + STOP_TIMEOUT_S:
                    time.sleep(0.2)
        self.pidfile.unlink(missing_ok=True)

    def start(self) -> KafkaBroker:
        if self.proc is not None:
            return self
        jars = broker_jars()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_stale()
        port, controller = _free_port(), _free_port()
        props = self._properties(port, controller)
        classpath = f"{jars}/*"
        if not (self.data_dir / "logs" / "meta.properties").is_file():  # a new log directory: format it once
            # a cluster id is 16 random bytes in URL-safe base64; the "=" form because one may start with "-"
            cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            fmt = subprocess.run(  # noqa: S603 - our own java command line, no shell
                [
                    "java",
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    f"--cluster-id={cluster_id}",
                    f"--config={props}",
                ],  # fmt: skip
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if fmt.returncode != 0:
                raise BrokerError(f"could not format the broker's log directory: {fmt.stdout}{fmt.stderr}")
        out = (self.data_dir / "broker.log").open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - our own java command line, no shell
            ["java", "-Xms64m", "-Xmx384m", "-cp", classpath, "kafka.Kafka", str(props)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        out.close()
        self.pidfile.write_text(str(self.proc.pid))
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while not _listening(port):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    rc = self.proc.poll()
                    tail = (self.data_dir / "broker.log").read_text(errors="replace")[-1500:]
                    raise BrokerError(
                        f"the Kafka broker did not start on 127.0.0.1:{port} "
                        f"({'exited ' + str(rc) if rc is not None else 'timed out'}): {tail}"
                    )
                time.sleep(0.25)
        except BaseException:  # also Ctrl-C while waiting: __exit__ never runs when __enter__ raises
            self.stop()
            raise
        self.port = port
        log.info("kafka broker %s listening on %s (pid %s)", KAFKA_VERSION, self.bootstrap, self.proc.pid)
        return self

    def stop(self) -> None:
        proc, self.proc, self.port = self.proc, None, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: a controlled shutdown that flushes the log
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT_S)
        self.pidfile.unlink(missing_ok=True)

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def publish(spark, broker: KafkaBroker, folder: str | os.PathLike, topic: str) -> int:
    """Produce every record file in ``folder`` not produced before (ledger ``published.json`` in the broker's
    data dir); returns how many records went out. One producer task per file, in offset order per partition."""
    from pyspark.sql import functions as F

    from lakehouse.sources.kafka import RECORD_SCHEMA

    ledger_path = broker.data_dir / "published.json"
    ledger = json.loads(ledger_path.read_text()) if ledger_path.is_file() else []
    # the generated parts first, then appended batches and other files by name (their offsets follow the parts')
    files = sorted(Path(folder).glob("*.jsonl"), key=lambda p: (not p.name.startswith("part-"), p.name))
    new = [p for p in files if p.name not in ledger]
    sent = 0
    for path in new:  # file by file, oldest name first: appended batches follow the files before them
        records = spark.read.schema(RECORD_SCHEMA).json(str(path))
        off = F.col("partition").isNull() | ~F.col("partition").between(0, PARTITIONS - 1)
        n, bad = records.agg(F.count(F.lit(1)), F.count(F.when(off, 1))).first()
        if bad:
            raise BrokerError(f"{path}: {bad} record(s) without a partition in 0..{PARTITIONS - 1}")
        (
            records.repartition(1)
            .sortWithinPartitions("partition", "offset")
            .select(F.lit(topic).alias("topic"), "partition", "key", "value")
            .write.format("kafka")
            .option("kafka.bootstrap.servers", broker.bootstrap)
            .option("kafka.enable.idempotence", "true")  # a retried send is not a duplicate message
            # once the broker stops, the cached idle producer retries rarely until Spark closes it
            .option("kafka.reconnect.backoff.ms", "5000")
            .option("kafka.reconnect.backoff.max.ms", "30000")
            .save()
        )
        # at least once: a run that dies between the send and this line sends the file again (bronze keeps one
        # row per event_id; the duplicate counts as deduplicated). Written whole or not at all.
        ledger.append(path.name)
        tmp = ledger_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(ledger))
        os.replace(tmp, ledger_path)
        sent += n
    if new:
        log.info("kafka stand-in: %d record(s) from %d file(s) produced to %s", sent, len(new), topic)
    return sent
