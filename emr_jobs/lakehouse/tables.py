"""The thin Delta I/O layer: every read and write of a lake table goes through here.

Tables are addressed as ``(layer, table)`` and live at ``cfg.table_path(layer, table)``
(``<lake_root>/<layer>/<table>``). ``merge`` is the idempotent write the pipeline relies on:

* the incoming frame is first reduced to one row per business key ("latest version wins": highest
  ``order_col``; ties broken by a hash of the row so the choice is deterministic run to run);
* the first write creates the table; later writes are a Delta MERGE on the keys;
* ``when_matched``:
    - ``"update_if_newer"`` (default; needs ``order_col``): update only when the incoming version is strictly
      newer, so re-running a batch, or replaying an older version, changes nothing;
    - ``"update_if_changed"``: update when any business column (not starting with ``_``) differs;
    - ``"update"``: always overwrite the matched row;
    - ``"ignore"``: insert-only (append-once semantics for audit/quarantine rows);
    - ``"repair"`` (needs ``order_col`` and ``_ingested_at`` in the frame): update when newer, or when it is
      the same version from the same load (equal ``order_col`` and ``_ingested_at``) whose business columns
      differ — a backfill re-deriving rows from bronze repairs them, and never reverts a later version.

Change feed: ``merge(..., change_feed=True)`` creates the table with Delta's change data feed on (and turns
it on for a table created before); ``changes()`` reads what the commits after a version changed — gold
recomputes only the rows those keys touch.

Deletion vectors stay off: measured here they made a 1 % MERGE into the 1M-row gold fact table ~2.6x faster,
but reads of tables with them enabled slower (the bare gold script, which only reads silver, 7.6 -> 10.5 s),
and the hourly run at scale 1 took 117 s instead of 89 s (README, "The local lake").

Concurrent writers: jobs of one local run share a SparkSession and several tables (quarantine, audit), so
each write holds a per-table lock in this process — the commit and the history read that reports it stay
together. Writers in other processes (parallel EMR job runs) are Delta's optimistic concurrency: a commit
that loses a conflict is retried (every write here is idempotent or did not commit).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

T = TypeVar("T")

WHEN_MATCHED = ("update_if_newer", "update_if_changed", "update", "ignore", "repair")
LOAD_COLUMN = "_ingested_at"  # lakehouse.metadata: when a row version reached bronze
CHANGE_FEED_PROPERTY = "delta.enableChangeDataFeed"
_GONE = "__lakehouse_gone"  # merge(delete_missing=...): marks a source row that deletes its key
FINGERPRINT_KEY = "lakehouse_fingerprint"  # in a commit's userMetadata: ``fingerprint`` of the rows it wrote
CONFLICT_ATTEMPTS = 4  # a commit that lost to another writer is tried again, up to this many times in all
log = logging.getLogger("lakehouse.tables")
_table_locks: dict[str, threading.Lock] = {}
_table_locks_guard = threading.Lock()


class TableNotFound(LookupError):
    """A table that was expected to exist is not a Delta table at its path."""


class ChangeFeedUnavailable(LookupError):
    """The change data feed does not cover the asked versions (turned on later, vacuumed, table recreated)."""


@dataclass(frozen=True)
class MergeStats:
    rows_in: int  # rows in the frame handed to merge
    deduplicated: int  # rows dropped because a newer/identical version of the same key was in the frame
    inserted: int
    updated: int
    unchanged: int  # matched rows left as they were (older/same version, or when_matched="ignore")
    deleted: int = 0  # rows of the delete scope the frame no longer holds (``delete_missing``)

    @property
    def rows_written(self) -> int:
        return self.inserted + self.updated

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# --------------------------------------------------------------------------------------------------
@contextmanager
def _writing(table_path: str) -> Iterator[None]:
    """One writer per table in this process (threads of a local run share the session)."""
    with _table_locks_guard:
        lock = _table_locks.setdefault(table_path, threading.Lock())
    with lock:
        yield


def _retry_conflicts(commit: Callable[[], T], where: str) -> T:
    """Run ``commit``; when Delta refuses it because another process committed a conflicting change,
    wait a little and run it again (it re-reads the table's latest version)."""
    from delta.exceptions import (
        ConcurrentAppendException,
        ConcurrentDeleteReadException,
        ConcurrentTransactionException,
        ConcurrentWriteException,
        MetadataChangedException,
    )

    conflicts = (
        ConcurrentAppendException,
        ConcurrentDeleteReadException,
        ConcurrentTransactionException,
        ConcurrentWriteException,
        MetadataChangedException,
    )
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            return commit()
        except conflicts as exc:
            if attempt == CONFLICT_ATTEMPTS:
                raise
            log.warning(
                "%s: concurrent commit (%s); attempt %d of %d",
                where,
                type(exc).__name__,
                attempt + 1,
                CONFLICT_ATTEMPTS,
            )
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def path(cfg, layer: str, table: str) -> str:
    return cfg.table_path(layer, table)


def exists(spark, cfg, layer: str, table: str) -> bool:
    from delta.tables import DeltaTable

    return DeltaTable.isDeltaTable(spark, path(cfg, layer, table))


def read(spark, cfg, layer: str, table: str, *, version: int | None = None):
    """Read a Delta table (optionally time-travel to ``version``); a missing table is a clear error."""
    p = path(cfg, layer, table)
    if not exists(spark, cfg, layer, table):
        raise TableNotFound(f"table {layer}.{table} does not exist (no Delta table at {p})")
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(p)


def changes(spark, cfg, layer: str, table: str, after: int, upto: int):
    """The change-feed rows of the commits ``after`` < version <= ``upto`` (both images of an update; the
    table's columns plus ``_change_type``/``_commit_version``), or ``ChangeFeedUnavailable``.

    Delta checks the feed when the frame is first evaluated, so callers that must fall back materialise it
    inside their ``try``."""
    if upto < after:
        raise ChangeFeedUnavailable(
            f"{layer}.{table} is at version {upto}, before the version {after} last read (was it recreated?)"
        )
    if upto == after:
        return read(spark, cfg, layer, table, version=upto).limit(0)
    try:
        return (
            spark.read.format("delta")
            .option("readChangeFeed", "true")
            .option("startingVersion", after + 1)
            .option("endingVersion", upto)
            .load(path(cfg, layer, table))
        )
    except Exception as exc:  # noqa: BLE001 - Delta raises several JVM error types for an uncovered range
        raise ChangeFeedUnavailable(f"{layer}.{table} versions {after + 1}..{upto}: {exc}") from exc


def feed_position(spark, cfg, layer: str, table: str) -> tuple[str, int] | None:
    """(a key naming this table *instance*, its current version), or None when it does not exist.

    A derived table records the versions of its inputs it was built from under this key (state-store
    watermarks). The key carries Delta's table id: a table dropped and created again starts a new history
    (version 0 again) under a new key, so the old position is never read against the new table."""
    from delta.tables import DeltaTable

    snapshot = _snapshot(spark, cfg, layer, table)
    if snapshot is None:
        return None
    if snapshot is _NO_SNAPSHOT:  # the Delta log API was not there: the public (slower) calls
        current = version(spark, cfg, layer, table)
        if current is None:
            return None
        table_id = DeltaTable.forPath(spark, path(cfg, layer, table)).detail().select("id").collect()[0][0]
        return f"{table}@{table_id}", current
    return f"{table}@{snapshot.metadata().id()}", int(snapshot.version())


def changed_values(
    spark, cfg, layer: str, columns: dict[str, Sequence[str]], after: dict[str, int], upto: dict[str, int]
) -> dict[str, Any]:
    """Per table, the distinct values of ``columns[table]`` in the rows its commits ``after`` < v <= ``upto``
    changed (both images of an update), materialised (persisted: unpersist when done) — so a feed that does
    not cover the range raises ``ChangeFeedUnavailable`` here and not later."""
    out: dict[str, Any] = {}
    try:
        for table, cols in columns.items():
            rows = changes(spark, cfg, layer, table, after[table], upto[table]).select(*cols)
            if after[table] == upto[table]:
                out[table] = rows  # no commit since: empty, and no feed to check
                continue
            out[table] = rows.distinct().persist()
            out[table].count()
        return out
    except Exception as exc:
        for df in out.values():
            df.unpersist()
        if isinstance(exc, ChangeFeedUnavailable):
            raise
        raise ChangeFeedUnavailable(f"{layer} change feed: {exc}") from exc


_FEED_ON: set[str] = set()  # tables whose change feed this process has seen on


def _ensure_change_feed(spark, table_path: str) -> None:
    """Turn the change feed on for a table created without it (one metadata read per table and process)."""
    from delta.tables import DeltaTable

    if table_path in _FEED_ON:
        return
    snapshot = _snapshot_at(spark, table_path)
    if snapshot is _NO_SNAPSHOT:  # the public call: a DataFrame built and collected (~1 s cold)
        props = DeltaTable.forPath(spark, table_path).detail().select("properties").collect()[0][0] or {}
        feed = props.get(CHANGE_FEED_PROPERTY)
    else:  # the table property from the log snapshot's metadata (a Scala Option)
        held = snapshot.metadata().configuration().get(CHANGE_FEED_PROPERTY)
        feed = held.get() if held.isDefined() else None
    if feed != "true":
        spark.sql(f"ALTER TABLE delta.`{table_path}` SET TBLPROPERTIES ({CHANGE_FEED_PROPERTY} = true)")
    _FEED_ON.add(table_path)


def history(spark, cfg, layer: str, table: str, limit: int | None = None) -> list[dict[str, Any]]:
    from delta.tables import DeltaTable

    dt = DeltaTable.forPath(spark, path(cfg, layer, table))
    return [r.asDict(recursive=True) for r in (dt.history(limit) if limit else dt.history()).collect()]


def commit_time(spark, cfg, layer: str, table: str, version_: int):
    """When ``version_`` of the table was committed (a naive UTC datetime, as Spark returns timestamps)."""
    current = version(spark, cfg, layer, table)
    if current is None or not 0 <= version_ <= current:
        raise TableNotFound(f"{layer}.{table} has no version {version_} (current: {current})")
    for h in history(spark, cfg, layer, table, current - version_ + 1):
        if int(h["version"]) == version_:
            return h["timestamp"]
    raise TableNotFound(f"{layer}.{table}: version {version_} is no longer in the history")


_NO_SNAPSHOT = object()


def _snapshot(spark, cfg, layer: str, table: str):
    """The table's current Delta snapshot (JVM object), None when there is no table, or ``_NO_SNAPSHOT`` when
    the Delta log API is not reachable.

    Why not ``history(1)`` / ``detail()``: each builds and collects a DataFrame, ~0.16 s warm (1 s cold) a
    table, and a run asks for versions hundreds of times; the log's own snapshot is ~7 ms. ``DeltaLog`` is
    internal, so its signature is pinned to the Delta this code runs with (3.3.2, locally and on EMR 7.x) and
    anything else falls back to the public calls."""
    return _snapshot_at(spark, path(cfg, layer, table))


def _snapshot_at(spark, table_path: str):
    """``_snapshot`` of the table at ``table_path``."""
    from py4j.protocol import Py4JError

    jvm = spark._jvm
    try:
        log = jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, table_path)
        snapshot = log.update(False, jvm.scala.Option.empty(), jvm.scala.Option.empty())
    except Py4JError:
        return _NO_SNAPSHOT
    return snapshot if snapshot.version() >= 0 else None


def last_commit(spark, cfg, layer: str, table: str) -> dict[str, Any]:
    """The table's latest commit: ``version``, ``operation``, ``operationMetrics`` (str -> str) and
    ``userMetadata``, as ``history(1)`` gives them, read from the commit's own log file (no DataFrame: see ``_snapshot``)."""
    import json

    from py4j.protocol import Py4JError

    from lakehouse.lakefiles import spark_text

    current = version(spark, cfg, layer, table)
    if current is None:
        raise TableNotFound(
            f"table {layer}.{table} does not exist (no Delta table at {path(cfg, layer, table)})"
        )
    try:
        text = spark_text(spark, f"{path(cfg, layer, table)}/_delta_log/{current:020d}.json")
    except Py4JError:  # the file unreadable through the JVM: the public (slower) call
        h = history(spark, cfg, layer, table, 1)[0]
        return {
            "version": int(h["version"]),
            "operation": h["operation"],
            "operationMetrics": h.get("operationMetrics") or {},
            "userMetadata": h.get("userMetadata"),
        }
    for line in text.splitlines():
        info = json.loads(line).get("commitInfo") if line.strip() else None
        if info is not None:
            metrics = {k: str(v) for k, v in (info.get("operationMetrics") or {}).items()}
            return {
                "version": current,
                "operation": info.get("operation"),
                "operationMetrics": metrics,
                "userMetadata": info.get("userMetadata"),
            }
    return {"version": current, "operation": None, "operationMetrics": {}, "userMetadata": None}


def version(spark, cfg, layer: str, table: str) -> int | None:
    """The table's latest committed version, or None when there is no table."""
    snapshot = _snapshot(spark, cfg, layer, table)
    if snapshot is not _NO_SNAPSHOT:
        return None if snapshot is None else int(snapshot.version())
    if not exists(spark, cfg, layer, table):
        return None
    return int(history(spark, cfg, layer, table, 1)[0]["version"])


# --------------------------------------------------------------------------------------------------
def latest_per_key(df, keys: Sequence[str], order_col: str | None = None):
    """One row per key: the highest ``order_col`` wins; ties go to the highest row hash (deterministic)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    tiebreak = F.xxhash64(*[F.col(c) for c in df.columns if not c.startswith("_")] or [F.lit(0)])
    order = ([F.col(order_col).desc_nulls_last()] if order_col else []) + [tiebreak.desc()]
    w = Window.partitionBy(*[F.col(k) for k in keys]).orderBy(*order)
    return df.withColumn("__rn", F.row_number().over(w)).where("__rn = 1").drop("__rn")


def _check_args(df, keys, when_matched, order_col, partition_by, where: str) -> None:
    if when_matched not in WHEN_MATCHED:
        raise ValueError(f"{where}: when_matched={when_matched!r}; allowed: {', '.join(WHEN_MATCHED)}")
    if not keys:
        raise ValueError(f"{where}: merge needs at least one key column")
    missing = [c for c in [*keys, *partition_by, *([order_col] if order_col else [])] if c not in df.columns]
    if missing:
        raise ValueError(f"{where}: column(s) {missing} not in the frame (columns: {df.columns})")
    if when_matched in ("update_if_newer", "repair") and not order_col:
        raise ValueError(f"{where}: when_matched={when_matched!r} needs order_col")
    if when_matched == "repair" and LOAD_COLUMN not in df.columns:
        raise ValueError(f"{where}: when_matched='repair' needs the {LOAD_COLUMN} column")


def _align_to_target(spark, df, target_schema, allow_new_columns: bool, table_path: str, where: str):
    """Make the source frame fit the target: add new columns to the table only when allowed (drift
    policy add_column), fill target columns the source lacks with NULLs, cast to the target's types."""
    from pyspark.sql import functions as F

    target_cols = {f.name: f for f in target_schema.fields}
    new_cols = [f for f in df.schema.fields if f.name not in target_cols]
    if new_cols:
        if not allow_new_columns:
            raise ValueError(
                f"{where}: column(s) {[f.name for f in new_cols]} are not in the table; "
                "pass allow_new_columns=True (contract drift: add_column) to add them"
            )
        cols_sql = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in new_cols)
        spark.sql(f"ALTER TABLE delta.`{table_path}` ADD COLUMNS ({cols_sql})")
        for f in new_cols:
            target_cols[f.name] = f
    out = [
        (F.col(name) if name in df.columns else F.lit(None)).cast(f.dataType).alias(name)
        for name, f in target_cols.items()
    ]
    return df.select(*out)


def merge(
    spark,
    cfg,
    layer: str,
    table: str,
    df,
    keys: Sequence[str],
    *,
    partition_by: Iterable[str] = (),
    when_matched: str = "update_if_newer",
    order_col: str | None = None,
    allow_new_columns: bool = False,
    dedupe: bool = True,
    changed_only: bool = False,
    change_feed: bool = False,
    delete_missing=None,
) -> MergeStats:
    """Upsert ``df`` into ``layer.table`` by ``keys``; re-running with the same frame changes nothing.

    ``changed_only`` (with ``update_if_changed``): drop the rows the table already holds verbatim before the
    MERGE. A MERGE that also inserts rewrites every file holding a matched key, even when no column changed;
    for a frame that is the whole table (gold candidates) that is every file. The anti-join costs one scan of
    the table and leaves only new/changed rows, so an unchanged table gets no commit at all.

    ``change_feed``: the table records Delta's change data feed (read back with ``changes``).

    ``delete_missing``: the frame is the whole truth for a set of keys, and a row of that set the frame does
    not hold is deleted, in the same commit — ``"all"``: every key of the table; a frame of key columns: those
    keys (an incremental rebuild of some keys, where a key may have gone). Default None: nothing is deleted."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    keys, partition_by = list(keys), list(partition_by)
    where = f"merge into {layer}.{table}"
    _check_args(df, keys, when_matched, order_col, partition_by, where)
    if isinstance(delete_missing, str) and delete_missing != "all":
        raise ValueError(f"{where}: delete_missing is 'all', a frame of keys or None, got {delete_missing!r}")
    if changed_only and when_matched != "update_if_changed":
        raise ValueError(
            f"{where}: changed_only needs when_matched='update_if_changed', got {when_matched!r}"
        )
    p = path(cfg, layer, table)

    # Materialise once: the frame is counted, deduplicated and merged; without this it is recomputed.
    src = df.persist()
    latest, changed, gone, diff = src, None, None, None
    try:
        rows_in = src.count()
        if not rows_in and delete_missing is None and DeltaTable.isDeltaTable(spark, p):
            # Nothing to upsert into an existing table: a MERGE of no rows still scans and commits.
            return MergeStats(0, 0, 0, 0, 0)
        if dedupe:
            latest = latest_per_key(src, keys, order_col).persist()
            n_latest = latest.count()
        else:  # the frame as given: already counted
            n_latest = rows_in
        deduplicated = rows_in - n_latest

        with _writing(p):  # the frame above is computed outside the table's lock
            if not DeltaTable.isDeltaTable(spark, p):
                writer = latest.write.format("delta").mode("errorifexists")
                if change_feed:
                    writer = writer.option(CHANGE_FEED_PROPERTY, "true")
                if partition_by:
                    writer = writer.partitionBy(*partition_by)
                try:
                    writer.save(p)
                    if change_feed:
                        _FEED_ON.add(p)
                    return MergeStats(rows_in, deduplicated, n_latest, 0, 0)
                except Exception:
                    # Another writer created the table first: fall through to MERGE; anything else is raised.
                    if not DeltaTable.isDeltaTable(spark, p):
                        raise

            if change_feed:
                _ensure_change_feed(spark, p)
            target = DeltaTable.forPath(spark, p)
            aligned = _align_to_target(spark, latest, target.toDF().schema, allow_new_columns, p, where)
            target = DeltaTable.forPath(spark, p)  # re-resolve: _align_to_target may have added columns
            business = [c for c in aligned.columns if not c.startswith("_") and c not in keys]
            if delete_missing == "all" and changed_only:
                # the frame is the whole table: one full outer join with it finds both the new/changed rows
                # and the keys that have gone (instead of one anti-join for each)
                diff, changed, gone, n_changed, n_gone = _diff_whole(aligned, target.toDF(), keys, business)
                if not n_changed and not n_gone:
                    return MergeStats(rows_in, deduplicated, 0, 0, n_latest)
                aligned = changed
            elif delete_missing is not None:
                # markers for the scope's keys the (whole, pre-``changed_only``) frame lacks: matched -> delete
                if isinstance(delete_missing, str):
                    scope = target.toDF().select(*keys)
                else:  # small: materialised once, whatever lineage the caller built it from
                    scope = delete_missing.select(*keys).localCheckpoint()
                held = latest.select(*[F.col(k).alias(f"__held{i}") for i, k in enumerate(keys)])
                same = [F.col(k).eqNullSafe(F.col(f"__held{i}")) for i, k in enumerate(keys)]
                gone = scope.distinct().join(held, same, "left_anti").persist()
            if changed_only and changed is None:
                held = target.toDF().select(*keys, *business)
                same = [aligned[c].eqNullSafe(held[c]) for c in (*keys, *business)]
                changed = aligned.join(held, same, "left_anti").persist()
                if changed.isEmpty() and (gone is None or gone.isEmpty()):
                    return MergeStats(rows_in, deduplicated, 0, 0, n_latest)
                aligned = changed
            columns = aligned.columns
            source = aligned.withColumn(_GONE, F.lit(False))
            if gone is not None:
                marker = [F.col(c) if c in keys else F.lit(None) for c in columns]
                source = source.unionByName(
                    gone.select(
                        *[m.cast(aligned.schema[c].dataType).alias(c) for m, c in zip(marker, columns)]
                    ).withColumn(_GONE, F.lit(True))
                )
            every = {c: f"s.`{c}`" for c in columns}
            on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in keys)
            builder = target.alias("t").merge(source.alias("s"), on)
            if gone is not None:
                builder = builder.whenMatchedDelete(condition=f"s.`{_GONE}`")
            live = f"NOT s.`{_GONE}`"
            if when_matched == "update_if_newer":
                builder = builder.whenMatchedUpdate(
                    condition=f"{live} AND s.`{order_col}` > t.`{order_col}`", set=every
                )
            elif when_matched == "update_if_changed":
                if business:
                    cond = " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in business)
                    builder = builder.whenMatchedUpdate(condition=f"{live} AND ({cond})", set=every)
            elif when_matched == "repair":
                differs = " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in business) or "false"
                same_load = f"t.`{order_col}` <=> s.`{order_col}` AND t.`{LOAD_COLUMN}` <=> s.`{LOAD_COLUMN}`"
                builder = builder.whenMatchedUpdate(
                    condition=f"{live} AND (s.`{order_col}` > t.`{order_col}` OR ({same_load} AND ({differs})))",
                    set=every,
                )
            elif when_matched == "update":
                builder = builder.whenMatchedUpdate(condition=live, set=every)
            builder = builder.whenNotMatchedInsert(condition=live, values=every)
            _retry_conflicts(builder.execute, where)

            m = last_commit(spark, cfg, layer, table)["operationMetrics"]
            inserted = int(m.get("numTargetRowsInserted", 0))
            updated = int(m.get("numTargetRowsUpdated", 0))
            deleted = int(m.get("numTargetRowsDeleted", 0))
            return MergeStats(
                rows_in, deduplicated, inserted, updated, n_latest - inserted - updated, deleted
            )
    finally:
        for frame in (changed, gone, diff):
            if frame is not None:
                frame.unpersist()
        if latest is not src:
            latest.unpersist()
        src.unpersist()


def _diff_whole(source, target, keys: list[str], business: list[str]):
    """The rows that differ between ``source`` (the whole truth for the table) and ``target``, from one full
    outer join on the keys (NULL-safe), persisted, and how many: ``(diff, changed, gone, n_changed, n_gone)``
    — ``changed`` the source rows the target does not hold verbatim, ``gone`` the target keys the source
    lacks (both read the persisted ``diff``)."""
    from pyspark.sql import functions as F

    t_cols = [*keys, *business]
    t = target.select(*[F.col(c).alias(f"__t{i}") for i, c in enumerate(t_cols)]).withColumn(
        "__in_t", F.lit(True)
    )
    s = source.withColumn("__in_s", F.lit(True))
    same = F.lit(True)
    for i, c in enumerate(t_cols):
        same = same & s[c].eqNullSafe(t[f"__t{i}"])
    j = s.join(t, [s[k].eqNullSafe(t[f"__t{i}"]) for i, k in enumerate(keys)], "full_outer")
    is_gone = F.col("__in_s").isNull()
    diff = (
        j.where(is_gone | F.col("__in_t").isNull() | ~same)
        .select(*source.columns, *[F.col(f"__t{i}") for i in range(len(keys))], is_gone.alias("__gone"))
        .persist()
    )
    counts = {r["__gone"]: r["n"] for r in diff.groupBy("__gone").agg(F.count(F.lit(1)).alias("n")).collect()}
    changed = diff.where(~F.col("__gone")).select(*source.columns)
    gone = diff.where(F.col("__gone")).select(*[F.col(f"__t{i}").alias(k) for i, k in enumerate(keys)])
    return diff, changed, gone, counts.get(False, 0), counts.get(True, 0)


def overwrite(
    spark,
    cfg,
    layer: str,
    table: str,
    df,
    *,
    partition_by: Iterable[str] = (),
    replace_where: str | None = None,
    overwrite_schema: bool = False,
    only_if_changed: bool = False,
    fingerprint: str | None = None,
) -> int:
    """Replace the table (or only the rows matching ``replace_where``) atomically; returns rows written.

    Without ``replace_where`` the whole table is replaced, every partition included (a static partition
    overwrite, whatever the session's ``partitionOverwriteMode``): a partition the frame no longer has is
    emptied, not kept.

    ``only_if_changed``: when the table already holds exactly these rows (same schema, same multiset of
    rows) write nothing and return 0 — a re-run then adds no version. Comparing costs one scan of the table
    (``_holds_exactly``), less than rewriting it and committing — or nothing, given ``fingerprint``.

    ``fingerprint`` (a whole-table replace only): ``fingerprint(df)``, recorded in the commit's userMetadata.
    With ``only_if_changed`` it is compared with the one the table's latest commit recorded, and the table is
    scanned only when that commit recorded none."""
    import json

    p = path(cfg, layer, table)
    if fingerprint is not None and replace_where:
        raise ValueError(
            f"overwrite {layer}.{table}: a fingerprint names a whole table, not replace_where rows"
        )
    with _writing(p):
        if only_if_changed and not replace_where:
            recorded = recorded_fingerprint(spark, cfg, layer, table) if fingerprint else None
            if recorded is not None and recorded[1] is not None:
                if recorded[1] == fingerprint:
                    return 0
            elif _holds_exactly(spark, cfg, layer, table, df):
                return 0
        writer = df.write.format("delta").mode("overwrite")
        if partition_by:
            writer = writer.partitionBy(*partition_by)
        if replace_where:
            writer = writer.option("replaceWhere", replace_where)
        else:
            writer = writer.option("partitionOverwriteMode", "static")
        if overwrite_schema:
            writer = writer.option("overwriteSchema", "true")
        if fingerprint is not None:
            writer = writer.option("userMetadata", json.dumps({FINGERPRINT_KEY: fingerprint}))
        _retry_conflicts(lambda: writer.save(p), f"overwrite {layer}.{table}")
        return _last_written(spark, cfg, layer, table)


def replace_rows(spark, cfg, layer: str, table: str, df, where: str) -> int:
    """Replace the rows matching the SQL ``where`` with ``df`` (whose rows all match it) in one commit; returns
    rows written. For a writer that owns those rows — one run's results, under the run's lock — so a re-run
    replaces what its first attempt wrote.

    When no row matches yet (a run writing its rows the first time, the usual case) the frame is appended:
    a ``replaceWhere`` on a data column runs 5 Spark jobs to find and rewrite the matching files, the pruned
    read that finds none 1 and the append 1 (``audit/dq_results``, warm, after another writer's commit: median
    2.07 s vs 1.75 s, 2026-11-30)."""
    try:  # read() checks the table exists: no second look at the log
        owned = read(spark, cfg, layer, table).where(where).limit(1).collect()
    except TableNotFound:
        owned = []
    if owned:
        return overwrite(spark, cfg, layer, table, df, replace_where=where)
    return append(spark, cfg, layer, table, df)


def delete_where(spark, cfg, layer: str, table: str, condition: str) -> int:
    """DELETE the rows matching the SQL ``condition``; the number deleted (0: nothing matched, no commit)."""
    from delta.tables import DeltaTable

    p = path(cfg, layer, table)
    with _writing(p):
        before = version(spark, cfg, layer, table)
        _retry_conflicts(lambda: DeltaTable.forPath(spark, p).delete(condition), f"{layer}.{table} delete")
        last = last_commit(spark, cfg, layer, table)
    if last["version"] == before or last["operation"] != "DELETE":
        return 0
    return int((last.get("operationMetrics") or {}).get("numDeletedRows", 0))


COMPARE_ON_DRIVER_ROWS = (
    10_000  # up to this many rows, two collects compare faster than a Spark job (and exactly)
)


def _holds_exactly(spark, cfg, layer: str, table: str, df) -> bool:
    """Whether the table holds the same multiset of rows as ``df`` (and the same schema).

    Up to ``COMPARE_ON_DRIVER_ROWS`` rows without nested columns: both sides collected and compared exactly.
    Bigger tables: one Spark job computes both sides' fingerprints (``_fingerprints``) — a scan of the table,
    no shuffle of its rows (two ``exceptAll`` cost two shuffles of both sides)."""
    from collections import Counter

    from pyspark.sql.types import ArrayType, MapType, StructType

    if not exists(spark, cfg, layer, table):
        return False
    held = read(spark, cfg, layer, table)
    if [(f.name, f.dataType) for f in held.schema.fields] != [(f.name, f.dataType) for f in df.schema.fields]:
        return False
    nested = any(isinstance(f.dataType, (ArrayType, MapType, StructType)) for f in held.schema.fields)
    limit = 0 if nested else COMPARE_ON_DRIVER_ROWS  # collected lists and dicts are not hashable
    if limit and df.limit(limit + 1).count() <= limit:
        # a small table (a dimension of dates, an aggregate): compare on the driver (a NaN never equals itself
        # there: at worst a needless rewrite, never a missed change)
        held_rows = held.limit(limit + 1).collect()
        new_rows = df.collect()
        return len(new_rows) == len(held_rows) and Counter(map(tuple, new_rows)) == Counter(
            map(tuple, held_rows)
        )
    return _fingerprints(held, df)


def _hashes(frame):
    """Two 64-bit hashes of all of ``frame``'s columns per row (xxhash64 unsalted and salted: two independent
    hash functions), as decimals so that their sums never wrap.

    Spark's hash skips a NULL, so each scalar column is hashed after its is-null flag (``(x, NULL)`` and
    ``(NULL, x)`` differ); a nested column is hashed as its JSON, which spells out NULL elements (equal maps
    with entries in another order then read as a change: at worst a needless rewrite)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, MapType, StructType

    cols = []
    for f in frame.schema.fields:
        c = F.col(f"`{f.name}`")
        if isinstance(f.dataType, (ArrayType, MapType, StructType)):
            cols.append(F.to_json(F.struct(c)))
        else:
            cols += [c.isNull(), c]
    return (
        F.xxhash64(*cols).cast("decimal(20,0)").alias("__h1"),
        F.xxhash64(F.lit("lakehouse"), *cols).cast("decimal(20,0)").alias("__h2"),
    )


def _hashed(frame, side: int):
    """Per row of ``frame``: ``side`` and its two hashes (``_hashes``)."""
    from pyspark.sql import functions as F

    return frame.select(F.lit(side).alias("__side"), *_hashes(frame))


def _sums(*frames) -> list[tuple[int, Any, Any]]:
    """(rows, hash sum, salted hash sum) of each frame (all of one schema), in one Spark job."""
    from functools import reduce

    from pyspark.sql import functions as F

    hashed = reduce(lambda a, b: a.unionByName(b), (_hashed(f, i) for i, f in enumerate(frames)))
    sides = {
        r["__side"]: (int(r["n"]), r["h1"], r["h2"])
        for r in hashed.groupBy("__side")
        .agg(F.count(F.lit(1)).alias("n"), F.sum("__h1").alias("h1"), F.sum("__h2").alias("h2"))
        .collect()
    }
    return [sides.get(i, (0, None, None)) for i in range(len(frames))]


def _fingerprints(held, df) -> bool:
    """Whether ``held`` and ``df`` (same schema) have equal fingerprints (``_sums``): the row count and both
    hash sums — order-independent, a duplicate counts twice. A changed table goes unseen only if both sums
    collide at once (about 2^-128 for data that is not built to collide)."""
    held_sums, df_sums = _sums(held, df)
    return held_sums == df_sums


def fingerprint(df) -> tuple[int, str]:
    """``(rows, fingerprint)`` of ``df`` in one Spark job: a string naming its content — column names and
    types, row count and the two hash sums of ``_fingerprints``. Two frames with the same fingerprint hold
    the same multiset of rows (up to a 2^-128 collision). Gold records it in the commit that writes a table
    (``overwrite(fingerprint=...)``) and keys the DQ measurements by it (``dq.engine``)."""
    n, fp, _ = fingerprint_and_aggregate(df, {})
    return n, fp


def fingerprint_and_aggregate(df, aggregates: Mapping[str, Any]) -> tuple[int, str, dict[str, Any]]:
    """``fingerprint(df)`` and the values of ``aggregates`` (name -> aggregate Column over ``df``'s
    columns), all in the one Spark job: gold stages a candidate and its DQ pass in a single scan."""
    import hashlib

    from pyspark.sql import functions as F

    names = list(aggregates)
    row = (
        df.select("*", *_hashes(df))
        .agg(
            F.count(F.lit(1)).alias("__n"),
            F.sum("__h1").alias("__s1"),
            F.sum("__h2").alias("__s2"),
            *[aggregates[k].alias(f"__a{i}") for i, k in enumerate(names)],
        )
        .collect()[0]
    )
    n = int(row["__n"])
    # an empty frame sums to NULL: the same as _sums gives it, so the fingerprint of 0 rows is stable
    schema = ",".join(f"{f.name}:{f.dataType.simpleString()}" for f in df.schema.fields)
    fp = f"{n}:{row['__s1']}:{row['__s2']}:{hashlib.sha1(schema.encode()).hexdigest()[:16]}"
    return n, fp, {k: row[f"__a{i}"] for i, k in enumerate(names)}


_FINGERPRINT = re.compile(r"^(\d+):[^:]+:[^:]+:[0-9a-f]{16}$")


def fingerprint_rows(key: str | None) -> int | None:
    """The row count a ``fingerprint`` names, or None for anything else (a ``content_key`` of id@version)."""
    m = _FINGERPRINT.match(key or "")
    return int(m.group(1)) if m else None


def recorded_fingerprint(spark, cfg, layer: str, table: str) -> tuple[int, str | None] | None:
    """``(current version, the fingerprint its commit recorded)`` — None for the fingerprint when that commit
    recorded none (a MERGE, an OPTIMIZE, a RESTORE, a write from before fingerprints); None when no table."""
    import json

    try:
        last = last_commit(spark, cfg, layer, table)
    except TableNotFound:
        return None
    try:
        recorded = json.loads(last.get("userMetadata") or "{}").get(FINGERPRINT_KEY)
    except (ValueError, AttributeError):  # userMetadata another writer put there: not ours
        recorded = None
    return last["version"], recorded


def content_key(spark, cfg, layer: str, table: str) -> tuple[int, str] | None:
    """``(current version, a key naming that version's rows)``: the fingerprint its commit recorded, else the
    table's id and version (a table dropped and created again gets a new id). None when there is no table.
    What a DQ measurement of the table is cached under (``dq.engine``)."""
    recorded = recorded_fingerprint(spark, cfg, layer, table)
    if recorded is None:
        return None
    current, fp = recorded
    if fp is not None:
        return current, fp
    position = feed_position(spark, cfg, layer, table)
    return (current, f"{position[0]}@v{current}") if position and position[1] == current else None


def append(
    spark,
    cfg,
    layer: str,
    table: str,
    df,
    *,
    partition_by: Iterable[str] = (),
    allow_new_columns: bool = False,
) -> int:
    """Append rows (audit logs, results); returns rows written."""
    p = path(cfg, layer, table)
    with _writing(p):
        writer = df.write.format("delta").mode("append")
        if partition_by and not exists(spark, cfg, layer, table):
            writer = writer.partitionBy(*partition_by)
        if allow_new_columns:
            writer = writer.option("mergeSchema", "true")
        _retry_conflicts(lambda: writer.save(p), f"append to {layer}.{table}")
        return _last_written(spark, cfg, layer, table)


def _last_written(spark, cfg, layer: str, table: str) -> int:
    return int(last_commit(spark, cfg, layer, table)["operationMetrics"].get("numOutputRows", 0))
