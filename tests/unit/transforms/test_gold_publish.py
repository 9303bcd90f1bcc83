"""Gold's publish: tables side by side, each only after the tables it references; a failure rolls back every
table the run started (Delta writes replaced by recorders: no Spark)."""

import logging
import threading
import time
from types import SimpleNamespace

import pytest

from lakehouse import gold as G
from lakehouse import tables as io
from lakehouse.tables import MergeStats


@pytest.fixture
def publishing(monkeypatch):
    events: list[tuple[str, str]] = []  # ("start" | "end", table), in the order they happened
    lock = threading.Lock()
    running, most = set(), [0]

    def write(table: str, rows: int):
        with lock:
            events.append(("start", table))
            running.add(table)
            most[0] = max(most[0], len(running))
        time.sleep(0.05)  # long enough for the tables started beside it to start
        with lock:
            running.discard(table)
            events.append(("end", table))
        return rows

    calls: dict[str, tuple[str, dict]] = {}  # table -> ("overwrite" | "merge", its keyword arguments)

    def overwrite(_s, _c, _l, table, *a, **k):
        calls[table] = ("overwrite", k)
        return write(table, 1)

    def merge(_s, _c, _l, table, *a, **k):
        calls[table] = ("merge", k)
        return MergeStats(2, 0, write(table, 2), 0, 0, 0)

    monkeypatch.setattr(io, "overwrite", overwrite)
    monkeypatch.setattr(io, "merge", merge)
    rolled_back: list[list[str]] = []
    monkeypatch.setattr(G, "_rollback", lambda _s, _c, _b, started, _log: rolled_back.append(list(started)))
    ctx = SimpleNamespace(spark=None, cfg=None, log=logging.getLogger("test.gold.publish"))
    frames = {t: object() for t in G.GOLD_TABLES}
    before = dict.fromkeys(G.GOLD_TABLES, 1)

    def publish(rows: dict[str, int] | None = None):
        result = G.GoldResult(rows=dict(rows or {}))
        G._publish(ctx, frames, {}, {}, before, result)
        return result

    return SimpleNamespace(publish=publish, events=events, rolled_back=rolled_back, most=most, calls=calls)


def test_each_table_is_published_after_the_tables_it_references_and_some_side_by_side(publishing):
    result = publishing.publish()
    assert sorted(result.published) == sorted(G.GOLD_TABLES)
    at = {(kind, table): i for i, (kind, table) in enumerate(publishing.events)}
    for table, after in G.PUBLISH_AFTER.items():
        for dependency in after:
            assert at[("end", dependency)] < at[("start", table)], (
                f"{table} started before {dependency} ended"
            )
    assert 1 < publishing.most[0] <= G.TABLES_AT_ONCE
    assert publishing.rolled_back == []


def test_a_failed_publish_starts_nothing_more_and_rolls_back_every_started_table(publishing, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_FAIL_PUBLISH_AT", "fact_orders")
    with pytest.raises(RuntimeError, match="injected failure before publishing gold.fact_orders"):
        publishing.publish()
    started = {table for kind, table in publishing.events if kind == "start"}
    assert started == {"dim_date", "dim_product", "dim_customer"}  # nothing that waits on the fact
    [rolled] = publishing.rolled_back
    assert set(rolled) == started | {"fact_orders"}  # also the one that raised: it may have committed


def test_a_merge_table_up_to_replace_max_rows_is_replaced_whole_and_a_bigger_one_merged(
    publishing, monkeypatch
):
    monkeypatch.setattr(G, "REPLACE_MAX_ROWS", 1_000)
    rows = dict.fromkeys(G.GOLD_TABLES, 1_000) | {"fact_orders": 1_001}
    publishing.publish(rows)
    how = {table: kind for table, (kind, _) in publishing.calls.items()}
    declared = {table: policy for table, _, policy in G.PUBLISH}
    assert how["fact_orders"] == "merge"  # outgrew the threshold
    for table in G.GOLD_TABLES:
        if table != "fact_orders":
            assert how[table] == "overwrite", (table, declared[table])
            # whole, and only if it changed: an unchanged table gets no new version
            kwargs = publishing.calls[table][1]
            assert kwargs["only_if_changed"] and kwargs["overwrite_schema"], table
    assert "customer_360" in {t for t, p in declared.items() if p == "merge"}  # a merge table was replaced
