"""The Delta merge writer (lakehouse.tables.merge): idempotent upserts, and ``changed_only`` leaving an
unchanged table without a commit."""

from __future__ import annotations

import pytest

from lakehouse import tables as io

SCHEMA = "k string, v string, n int, _batch_id string"


def _rows(spark, cfg, table="t"):
    return sorted(tuple(r) for r in io.read(spark, cfg, "gold", table).select("k", "v", "n").collect())


def _seed(spark, cfg, table="t"):
    df = spark.createDataFrame([("a", "x", 1, "b1"), ("b", None, 2, "b1"), ("c", "z", None, "b1")], SCHEMA)
    first = io.merge(spark, cfg, "gold", table, df, ["k"], when_matched="update_if_changed", dedupe=False)
    assert (first.inserted, first.updated) == (3, 0)


def test_update_if_newer_keeps_the_latest_version_and_a_rerun_changes_nothing(spark, tmp_lake):
    df = spark.createDataFrame([("a", "old", 1, "b1"), ("a", "new", 2, "b1"), ("b", "x", 1, "b1")], SCHEMA)
    stats = io.merge(spark, tmp_lake, "gold", "t", df, ["k"], order_col="n")
    assert (stats.rows_in, stats.deduplicated, stats.inserted) == (3, 1, 2)
    v = io.version(spark, tmp_lake, "gold", "t")
    older = spark.createDataFrame([("a", "older", 0, "b2")], SCHEMA)
    again = io.merge(spark, tmp_lake, "gold", "t", older, ["k"], order_col="n")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    assert _rows(spark, tmp_lake) == [("a", "new", 2), ("b", "x", 1)]
    assert io.version(spark, tmp_lake, "gold", "t") == v + 1  # a MERGE commit, but no row moved


@pytest.mark.parametrize("changed_only", [False, True])
def test_update_if_changed_updates_changed_rows_and_inserts_new_ones(spark, tmp_lake, changed_only):
    _seed(spark, tmp_lake)
    # a: unchanged (only the metadata column differs), b: NULL -> value, c: unchanged with a NULL, d: new
    df = spark.createDataFrame(
        [("a", "x", 1, "b2"), ("b", "y", 2, "b2"), ("c", "z", None, "b2"), ("d", "w", 4, "b2")], SCHEMA
    )
    stats = io.merge(
        spark, tmp_lake, "gold", "t", df, ["k"], when_matched="update_if_changed", changed_only=changed_only
    )
    assert (stats.inserted, stats.updated, stats.unchanged) == (1, 1, 2)
    assert _rows(spark, tmp_lake) == [("a", "x", 1), ("b", "y", 2), ("c", "z", None), ("d", "w", 4)]


def test_changed_only_makes_no_commit_when_nothing_changed(spark, tmp_lake):
    _seed(spark, tmp_lake)
    v = io.version(spark, tmp_lake, "gold", "t")
    same = spark.createDataFrame([("a", "x", 1, "b9"), ("b", None, 2, "b9"), ("c", "z", None, "b9")], SCHEMA)
    stats = io.merge(
        spark, tmp_lake, "gold", "t", same, ["k"], when_matched="update_if_changed", changed_only=True
    )
    assert (stats.rows_in, stats.inserted, stats.updated, stats.unchanged) == (3, 0, 0, 3)
    assert io.version(spark, tmp_lake, "gold", "t") == v  # NULLs compare equal: nothing to write


@pytest.mark.parametrize("changed_only", [False, True])
def test_delete_missing_deletes_the_scope_keys_the_frame_no_longer_holds_in_one_commit(
    spark, tmp_lake, changed_only
):
    _seed(spark, tmp_lake)
    v = io.version(spark, tmp_lake, "gold", "t")
    # the truth for keys a, b, x: a unchanged, b changed, x never existed; c is outside the scope and stays
    scope = spark.createDataFrame([("a",), ("b",), ("x",)], "k string")
    df = spark.createDataFrame([("a", "x", 1, "b2"), ("b", "y", 2, "b2")], SCHEMA)
    stats = io.merge(
        spark,
        tmp_lake,
        "gold",
        "t",
        df,
        ["k"],
        when_matched="update_if_changed",
        changed_only=changed_only,
        delete_missing=scope,
    )
    assert (stats.inserted, stats.updated, stats.deleted) == (0, 1, 0)
    assert _rows(spark, tmp_lake) == [("a", "x", 1), ("b", "y", 2), ("c", "z", None)]
    # now b has gone from the truth: deleted with its key, c still untouched
    gone = io.merge(
        spark,
        tmp_lake,
        "gold",
        "t",
        df.where("k = 'a'"),
        ["k"],
        when_matched="update_if_changed",
        changed_only=changed_only,
        delete_missing=scope,
    )
    assert (gone.inserted, gone.updated, gone.deleted) == (0, 0, 1)
    assert _rows(spark, tmp_lake) == [("a", "x", 1), ("c", "z", None)]
    assert io.version(spark, tmp_lake, "gold", "t") == v + 2  # each MERGE one commit
    # "all": the frame is the whole table
    everything = io.merge(
        spark,
        tmp_lake,
        "gold",
        "t",
        spark.createDataFrame([("c", "z", None, "b3")], SCHEMA),
        ["k"],
        when_matched="update_if_changed",
        changed_only=changed_only,
        delete_missing="all",
    )
    assert (everything.inserted, everything.updated, everything.deleted) == (0, 0, 1)
    assert _rows(spark, tmp_lake) == [("c", "z", None)]
    with pytest.raises(ValueError, match="delete_missing"):
        io.merge(spark, tmp_lake, "gold", "t", df, ["k"], when_matched="update", delete_missing="some")


def test_changed_only_is_refused_with_another_policy(spark, tmp_lake):
    df = spark.createDataFrame([("a", "x", 1, "b1")], SCHEMA)
    with pytest.raises(ValueError, match="changed_only needs when_matched='update_if_changed'"):
        io.merge(spark, tmp_lake, "gold", "t", df, ["k"], order_col="n", changed_only=True)
    assert not io.exists(spark, tmp_lake, "gold", "t")


@pytest.mark.parametrize("on_driver", [True, False], ids=["collect", "fingerprint"])
def test_overwrite_only_if_changed_skips_identical_rows_and_replaces_otherwise(
    spark, tmp_lake, monkeypatch, on_driver
):
    if not on_driver:  # the comparison of a table too big to collect
        monkeypatch.setattr(io, "COMPARE_ON_DRIVER_ROWS", 0)
    rows = [("a", "x", 1, "b1"), ("b", None, 2, "b1"), ("b", None, 2, "b1")]  # a duplicate row counts twice
    df = spark.createDataFrame(rows, SCHEMA)
    assert io.overwrite(spark, tmp_lake, "gold", "r", df, only_if_changed=True) == 3  # no table yet
    v = io.version(spark, tmp_lake, "gold", "r")
    reordered = spark.createDataFrame(list(reversed(rows)), SCHEMA)
    assert io.overwrite(spark, tmp_lake, "gold", "r", reordered, only_if_changed=True) == 0
    assert io.version(spark, tmp_lake, "gold", "r") == v  # same multiset of rows: no commit
    one_less = spark.createDataFrame(rows[:2], SCHEMA)  # differs only in a duplicate's multiplicity
    assert io.overwrite(spark, tmp_lake, "gold", "r", one_less, only_if_changed=True) == 2
    assert io.version(spark, tmp_lake, "gold", "r") == v + 1
    retyped = spark.createDataFrame([("a", "x", 1, "b1")], "k string, v string, n bigint, _batch_id string")
    assert (
        io.overwrite(spark, tmp_lake, "gold", "r", retyped, overwrite_schema=True, only_if_changed=True) == 1
    )
    assert io.read(spark, tmp_lake, "gold", "r").schema["n"].dataType.simpleString() == "bigint"


def test_fingerprints_see_a_value_moved_between_null_columns_and_inside_nested_columns(spark):
    """Spark's hash skips NULLs: without the is-null flags (x, NULL) and (NULL, x) would hash alike."""
    flat = "a string, b string, n int"
    one = spark.createDataFrame([("x", None, 1), ("y", "z", 2)], flat)
    assert io._fingerprints(one, spark.createDataFrame([("y", "z", 2), ("x", None, 1)], flat))
    assert not io._fingerprints(one, spark.createDataFrame([(None, "x", 1), ("y", "z", 2)], flat))
    assert not io._fingerprints(
        one, spark.createDataFrame([("x", None, 1), ("y", "z", 2), ("y", "z", 2)], flat)
    )
    assert io._fingerprints(one.limit(0), spark.createDataFrame([], flat))  # two empty tables
    nested = "k string, xs array<string>, m map<string, int>, s struct<p: string, q: string>"
    base = [("a", ["x", None], {"u": 1}, ("p", None))]
    df = spark.createDataFrame(base, nested)
    assert io._fingerprints(df, spark.createDataFrame(base, nested))
    for other in (
        [("a", [None, "x"], {"u": 1}, ("p", None))],  # array elements swapped around a NULL
        [("a", ["x", None], {"u": 2}, ("p", None))],  # a map value
        [("a", ["x", None], {"u": 1}, (None, "p"))],  # a struct field moved to its NULL sibling
    ):
        assert not io._fingerprints(df, spark.createDataFrame(other, nested)), other


def test_a_recorded_fingerprint_decides_only_if_changed_without_reading_the_table(
    spark, tmp_lake, monkeypatch
):
    """The commit that writes a table records the rows' fingerprint; a later replace with the same fingerprint
    commits nothing and reads neither side, another fingerprint replaces without comparing, and a commit that
    recorded none (a MERGE) is compared by reading the table."""
    df = spark.createDataFrame([("a", "x", 1, "b1"), ("b", None, 2, "b1")], SCHEMA)
    n, fp = io.fingerprint(df)
    assert n == 2 and fp == io.fingerprint(spark.createDataFrame(list(reversed(df.collect())), SCHEMA))[1]
    assert fp != io.fingerprint(df.withColumn("n", df["n"].cast("bigint")))[1]  # the types are part of it
    assert io.overwrite(spark, tmp_lake, "gold", "f", df, only_if_changed=True, fingerprint=fp) == 2
    v = io.version(spark, tmp_lake, "gold", "f")
    assert io.recorded_fingerprint(spark, tmp_lake, "gold", "f") == (v, fp)
    assert io.content_key(spark, tmp_lake, "gold", "f") == (v, fp)
    assert io.fingerprint_rows(fp) == 2 and io.fingerprint_rows(io.fingerprint(df.limit(0))[1]) == 0

    def no_compare(*_args, **_kwargs):
        raise AssertionError("the table was read to compare")

    monkeypatch.setattr(io, "_holds_exactly", no_compare)
    assert io.overwrite(spark, tmp_lake, "gold", "f", df, only_if_changed=True, fingerprint=fp) == 0
    assert io.version(spark, tmp_lake, "gold", "f") == v
    one = df.limit(1)
    assert (
        io.overwrite(
            spark, tmp_lake, "gold", "f", one, only_if_changed=True, fingerprint=io.fingerprint(one)[1]
        )
        == 1
    )
    monkeypatch.undo()

    io.merge(spark, tmp_lake, "gold", "f", df, ["k"], when_matched="update_if_changed", dedupe=False)
    v = io.version(spark, tmp_lake, "gold", "f")
    assert io.recorded_fingerprint(spark, tmp_lake, "gold", "f") == (v, None)
    key = io.content_key(spark, tmp_lake, "gold", "f")
    assert key[0] == v and key[1] == f"{io.feed_position(spark, tmp_lake, 'gold', 'f')[0]}@v{v}"
    assert io.fingerprint_rows(key[1]) is None and io.fingerprint_rows(None) is None  # no count in it
    assert io.overwrite(spark, tmp_lake, "gold", "f", df, only_if_changed=True, fingerprint=fp) == 0  # read
    assert io.content_key(spark, tmp_lake, "gold", "nope") is None
    with pytest.raises(ValueError, match="not replace_where rows"):
        io.overwrite(spark, tmp_lake, "gold", "f", df, replace_where="k = 'a'", fingerprint=fp)


def test_replace_rows_appends_a_first_write_and_replaces_a_rewrite_in_one_commit(spark, tmp_lake):
    """One run's rows: the first write is a plain append (no replaceWhere scan), a re-run's write replaces
    exactly the rows it wrote before and leaves every other run's rows alone."""
    schema = "run string, n int"

    def write(run: str, *ns: int) -> int:
        df = spark.createDataFrame([(run, n) for n in ns], schema)
        return io.replace_rows(spark, tmp_lake, "audit", "r", df, f"run = '{run}'")

    def operation() -> tuple[str, dict]:
        h = io.history(spark, tmp_lake, "audit", "r", 1)[0]
        return h["operation"], h["operationParameters"]

    assert write("r1", 1, 2) == 2  # creates the table
    assert write("r2", 5) == 1
    assert operation()[0] == "WRITE" and operation()[1]["mode"] == "Append"
    before = io.version(spark, tmp_lake, "audit", "r")
    assert write("r1", 3) == 1  # the re-run of r1
    assert io.version(spark, tmp_lake, "audit", "r") == before + 1, "one commit"
    assert operation()[1]["mode"] == "Overwrite" and "r1" in operation()[1]["predicate"]
    stored = sorted(tuple(r) for r in io.read(spark, tmp_lake, "audit", "r").collect())
    assert stored == [("r1", 3), ("r2", 5)]


def test_overwrite_replaces_every_partition_even_under_dynamic_partition_overwrite(spark, tmp_lake):
    """The session overwrites partitions dynamically (lakehouse.spark); a whole-table replace must still
    empty a partition the new frame no longer has."""
    assert spark.conf.get("spark.sql.sources.partitionOverwriteMode") == "dynamic"
    part = "k string, month string"
    first = spark.createDataFrame([("a", "2026-01"), ("b", "2026-02")], part)
    io.overwrite(spark, tmp_lake, "gold", "p", first, partition_by=["month"])
    only_feb = spark.createDataFrame([("c", "2026-02")], part)
    assert (
        io.overwrite(spark, tmp_lake, "gold", "p", only_feb, partition_by=["month"], only_if_changed=True)
        == 1
    )
    assert [tuple(r) for r in io.read(spark, tmp_lake, "gold", "p").collect()] == [("c", "2026-02")]


def test_change_feed_names_the_keys_each_commit_changed(spark, tmp_lake):
    df = spark.createDataFrame([("a", "x", 1, "b1"), ("b", "y", 2, "b1")], SCHEMA)
    io.merge(spark, tmp_lake, "silver", "t", df, ["k"], order_col="n", change_feed=True)
    v0 = io.version(spark, tmp_lake, "silver", "t")
    later = spark.createDataFrame([("a", "x2", 3, "b2"), ("c", "z", 1, "b2"), ("b", "old", 0, "b2")], SCHEMA)
    io.merge(spark, tmp_lake, "silver", "t", later, ["k"], order_col="n", change_feed=True)
    v1 = io.version(spark, tmp_lake, "silver", "t")
    rows = io.changes(spark, tmp_lake, "silver", "t", v0, v1).select("k", "v", "_change_type").collect()
    # b's older version changed nothing, so it is not in the feed
    assert sorted(tuple(r) for r in rows) == [
        ("a", "x", "update_preimage"),
        ("a", "x2", "update_postimage"),
        ("c", "z", "insert"),
    ]
    assert io.changes(spark, tmp_lake, "silver", "t", v1, v1).count() == 0  # nothing since
    with pytest.raises(io.ChangeFeedUnavailable, match="before the version"):
        io.changes(spark, tmp_lake, "silver", "t", v1 + 1, v1)


def test_change_feed_is_turned_on_for_a_table_created_without_it(spark, tmp_lake):
    _seed(spark, tmp_lake, "plain")  # created without the feed
    v0 = io.version(spark, tmp_lake, "gold", "plain")
    with pytest.raises(Exception):  # noqa: B017 - Delta's JVM error for a table without the feed
        io.changes(spark, tmp_lake, "gold", "plain", v0 - 1, v0).count()
    df = spark.createDataFrame([("d", "w", 4, "b2")], SCHEMA)
    io.merge(spark, tmp_lake, "gold", "plain", df, ["k"], when_matched="update_if_changed", change_feed=True)
    v = io.version(spark, tmp_lake, "gold", "plain")
    assert v == v0 + 2  # the property, then the MERGE
    rows = io.changes(spark, tmp_lake, "gold", "plain", v0 + 1, v).select("k", "_change_type").collect()
    assert [tuple(r) for r in rows] == [("d", "insert")]


def test_a_whole_table_frame_inserts_updates_and_deletes_in_one_commit_and_nothing_when_unchanged(
    spark, tmp_lake
):
    """delete_missing="all" with changed_only (a full gold build): one full outer join finds the new, the
    changed (NULLs compared as values) and the gone rows; the same frame again makes no commit."""
    _seed(spark, tmp_lake)
    v = io.version(spark, tmp_lake, "gold", "t")
    # a: unchanged but for the metadata column, b: NULL -> value, c: gone, d: new
    whole = spark.createDataFrame([("a", "x", 1, "b2"), ("b", "y", 2, "b2"), ("d", "w", None, "b2")], SCHEMA)

    def merge():
        return io.merge(
            spark, tmp_lake, "gold", "t", whole, ["k"],
            when_matched="update_if_changed", dedupe=False, changed_only=True, delete_missing="all",
        )  # fmt: skip

    stats = merge()
    assert (stats.rows_in, stats.inserted, stats.updated, stats.deleted, stats.unchanged) == (3, 1, 1, 1, 1)
    assert _rows(spark, tmp_lake) == [("a", "x", 1), ("b", "y", 2), ("d", "w", None)]
    assert io.version(spark, tmp_lake, "gold", "t") == v + 1
    again = merge()
    assert (again.inserted, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 3)
    assert io.version(spark, tmp_lake, "gold", "t") == v + 1


@pytest.mark.parametrize("delta_log", [True, False], ids=["delta-log", "public-api"])
def test_version_feed_position_and_last_commit_follow_every_commit_whichever_api_answers(
    spark, tmp_lake, monkeypatch, delta_log
):
    from delta.tables import DeltaTable

    if not delta_log:  # what a Delta without the internal log API gets
        monkeypatch.setattr(io, "_snapshot", lambda *a: io._NO_SNAPSHOT)
    assert io.version(spark, tmp_lake, "gold", "t") is None
    assert io.feed_position(spark, tmp_lake, "gold", "t") is None
    _seed(spark, tmp_lake)
    io.append(spark, tmp_lake, "gold", "t", spark.createDataFrame([("d", "w", 4, "b2")], SCHEMA))
    table_id = DeltaTable.forPath(spark, io.path(tmp_lake, "gold", "t")).detail().first()["id"]
    latest = io.history(spark, tmp_lake, "gold", "t", 1)[0]["version"]
    assert io.version(spark, tmp_lake, "gold", "t") == latest == 1
    assert io.feed_position(spark, tmp_lake, "gold", "t") == (f"t@{table_id}", 1)
    h = io.history(spark, tmp_lake, "gold", "t", 1)[0]
    assert h["operationMetrics"]["numOutputRows"] == "1"
    last = {
        "version": 1,
        "operation": h["operation"],
        "operationMetrics": h["operationMetrics"],
        "userMetadata": h["userMetadata"],
    }
    assert io.last_commit(spark, tmp_lake, "gold", "t") == last


def test_an_empty_frame_makes_no_merge_into_an_existing_table_but_creates_a_missing_one(
    spark, tmp_lake, monkeypatch
):
    """An hourly batch with nothing new reaches merge as an empty frame: no MERGE (its scan and commit) on an
    existing table; a missing table is still created (readers never meet a missing table); and an empty
    frame that is the whole truth (``delete_missing``) still deletes."""
    from delta.tables import DeltaTable

    empty = spark.createDataFrame([], SCHEMA)
    created = io.merge(spark, tmp_lake, "gold", "fresh", empty, ["k"], when_matched="update_if_changed")
    assert created.rows_in == 0 and io.version(spark, tmp_lake, "gold", "fresh") == 0
    _seed(spark, tmp_lake)
    v = io.version(spark, tmp_lake, "gold", "t")
    real_for_path = DeltaTable.forPath

    def no_merge(*_a, **_k):
        raise AssertionError("an empty frame opened the table for a MERGE")

    monkeypatch.setattr(DeltaTable, "forPath", no_merge)
    stats = io.merge(spark, tmp_lake, "gold", "t", empty, ["k"], when_matched="update_if_changed")
    assert stats.as_dict() == io.MergeStats(0, 0, 0, 0, 0).as_dict()
    assert io.version(spark, tmp_lake, "gold", "t") == v
    monkeypatch.setattr(DeltaTable, "forPath", real_for_path)
    gone = io.merge(
        spark, tmp_lake, "gold", "t", empty, ["k"], when_matched="update_if_changed", delete_missing="all"
    )
    assert gone.deleted == 3 and _rows(spark, tmp_lake) == []
