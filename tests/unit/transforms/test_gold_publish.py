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

    monkeypatch.setattr(io, "overwrite", lambda _s, _c, _l, table, *a, **k: write(table, 1))
    monkeypatch.setattr(
        io, "merge", lambda _s, _c, _l, table, *a, **k: MergeStats(2, 0, write(table, 2), 0, 0, 0)
    )
    rolled_back: list[list[str]] = []
    monkeypatch.setattr(G, "_rollback", lambda _s, _c, _b, started, _log: rolled_back.append(list(started)))
    ctx = SimpleNamespace(spark=None, cfg=None, log=logging.getLogger("test.gold.publish"))
    frames = {t: object() for t in G.GOLD_TABLES}
    before = dict.fromkeys(G.GOLD_TABLES, 1)

    def publish():
        result = G.GoldResult()
        G._publish(ctx, frames, {}, {}, before, result)
        return result

    return SimpleNamespace(publish=publish, events=events, rolled_back=rolled_back, most=most)


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
