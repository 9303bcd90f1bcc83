"""One behaviour suite over both state stores: the local JSON store and DynamoDB (moto in-process)."""

from __future__ import annotations

import multiprocessing
import threading

import pytest

from lakehouse.state import (
    DynamoStateStore,
    LocalStateStore,
    LockHeld,
    WatermarkRegression,
    open_state,
    order_key,
)


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["local", "dynamodb"])
def make_store(request, tmp_path):
    """A factory: every store it returns shares one backing state (like two job processes would)."""
    if request.param == "local":
        return lambda clock=None: LocalStateStore(tmp_path / "state", clock=clock)
    table = request.getfixturevalue("state_table")
    return lambda clock=None: DynamoStateStore(table, "eu-west-1", clock=clock)


def test_consecutive_watermarks_advance_and_are_read_back(make_store):
    store = make_store()
    assert store.get_watermark("extract_snowflake", "orders") is None
    for hour in ("2024-03-01T00:00:00", "2024-03-01T01:00:00", "2024-03-01T02:00:00"):
        store.set_watermark("extract_snowflake", "orders", hour)
        assert make_store().get_watermark("extract_snowflake", "orders") == hour
    # watermarks are per (job, source)
    assert store.get_watermark("extract_snowflake", "customers") is None


def test_watermark_regression_is_refused_and_value_kept(make_store):
    store = make_store()
    store.set_watermark("extract_salesforce", "accounts", "2024-03-01T05:00:00Z")
    with pytest.raises(WatermarkRegression, match="backwards"):
        store.set_watermark("extract_salesforce", "accounts", "2024-03-01T04:59:59Z")
    assert store.get_watermark("extract_salesforce", "accounts") == "2024-03-01T05:00:00Z"
    # the same value again is a re-run, not a regression
    store.set_watermark("extract_salesforce", "accounts", "2024-03-01T05:00:00Z")


def test_numeric_watermarks_compare_as_numbers(make_store):
    store = make_store()
    store.set_watermark("extract_kafka", "events", "9")
    store.set_watermark("extract_kafka", "events", "10")  # "10" < "9" as strings; must still advance
    with pytest.raises(WatermarkRegression):
        store.set_watermark("extract_kafka", "events", "8")
    assert store.get_watermark("extract_kafka", "events") == "10"


def test_order_key_normalises_offsets_and_formats():
    assert order_key("2024-03-01T01:00:00+01:00") == order_key("2024-03-01T00:00:00Z")
    assert order_key("2024-03-01 00:00:01") > order_key("2024-03-01T00:00:00")
    with pytest.raises(ValueError):
        order_key("")


def test_concurrent_lock_is_refused_for_the_second_run(make_store):
    """Two threads race for one job's lock: exactly one wins, the other gets LockHeld."""
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def run(owner: str) -> None:
        store = make_store()
        barrier.wait()
        try:
            store.acquire_lock("build_gold", owner, ttl_seconds=600)
            outcomes[owner] = "acquired"
        except LockHeld as exc:
            outcomes[owner] = f"refused: {exc}"

    threads = [threading.Thread(target=run, args=(f"run-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["acquired", "refused"]
    winner = next(k for k, v in outcomes.items() if v == "acquired")
    loser_msg = next(v for v in outcomes.values() if v.startswith("refused"))
    assert "already running" in loser_msg and winner in loser_msg


def test_lock_context_releases_so_the_next_run_proceeds(make_store):
    store = make_store()
    with store.lock("build_silver", "run-a"), pytest.raises(LockHeld):
        make_store().acquire_lock("build_silver", "run-b")
    with make_store().lock("build_silver", "run-b"):
        pass
    # a lock on another job is independent
    with store.lock("build_silver", "run-c"), store.lock("build_gold", "run-d"):
        pass


def test_lock_released_when_body_raises(make_store):
    store = make_store()
    with pytest.raises(RuntimeError), store.lock("build_gold", "run-a"):
        raise RuntimeError("boom")
    store.acquire_lock("build_gold", "run-b")  # free again


def test_lock_waits_for_the_holder_then_gives_up_at_its_deadline(make_store):
    """wait_seconds: a run that finds the lock held tries again (every LOCK_POLL_SECONDS) until it is free,
    or raises LockHeld once the wait is over."""
    clock = FakeClock()
    holder = make_store(clock)
    holder.acquire_lock("extract_snowflake", "hourly-run", ttl_seconds=3600)
    slept: list[float] = []

    def sleep_then_release(seconds: float) -> None:  # the holder finishes during the second pause
        slept.append(seconds)
        clock.now += seconds
        if len(slept) == 2:
            holder.release_lock("extract_snowflake", "hourly-run")

    waiter = make_store(clock)
    waiter.sleep = sleep_then_release
    with waiter.lock("extract_snowflake", "daily-run", ttl_seconds=600, wait_seconds=45):
        assert slept == [30.0, 15.0]  # the last pause ends at the deadline, not past it
    holder.acquire_lock("extract_snowflake", "hourly-run")  # released by the waiter's block

    slept.clear()
    patient = make_store(clock)
    patient.sleep = lambda s: (slept.append(s), setattr(clock, "now", clock.now + s))
    with pytest.raises(LockHeld, match="hourly-run"), patient.lock("extract_snowflake", "x", wait_seconds=70):
        pass
    assert slept == [30.0, 30.0, 10.0]
    assert holder.release_lock("extract_snowflake", "hourly-run") is True  # never taken from its holder


def test_stale_lock_is_taken_over_after_its_ttl(make_store):
    clock = FakeClock()
    crashed = make_store(clock)
    crashed.acquire_lock("extract_redshift", "crashed-run", ttl_seconds=60)  # never released
    clock.now += 30
    with pytest.raises(LockHeld):
        make_store(clock).acquire_lock("extract_redshift", "next-run", ttl_seconds=60)
    clock.now += 31  # past expires_at: the holder is dead
    fresh = make_store(clock)
    fresh.acquire_lock("extract_redshift", "next-run", ttl_seconds=60)
    # the crashed run cannot release (or steal back) what is now someone else's lock
    assert crashed.release_lock("extract_redshift", "crashed-run") is False
    assert fresh.release_lock("extract_redshift", "next-run") is True


def test_landing_file_is_recorded_once(make_store):
    store = make_store()
    assert store.record_file("s3_landing", "landing/erp/2024-03-01.csv", "etag-1") is True
    assert make_store().record_file("s3_landing", "landing/erp/2024-03-01.csv", "etag-1") is False
    assert store.record_file("s3_landing", "landing/hr/people.json", "etag-2") is True
    assert store.seen_files("s3_landing") == {"landing/erp/2024-03-01.csv", "landing/hr/people.json"}
    assert store.seen_files("other") == set()


def _take_lock(path: str, owner: str, start, queue) -> None:
    start.wait()
    try:
        LocalStateStore(path).acquire_lock("transform_gold", owner, ttl_seconds=600)
        queue.put("acquired")
    except LockHeld:
        queue.put("refused")


def test_local_lock_holds_across_processes(tmp_path):
    """The local store's fcntl lock serialises separate processes, not only threads."""
    ctx = multiprocessing.get_context("spawn")
    start, queue = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_take_lock, args=(str(tmp_path), f"p{i}", start, queue)) for i in range(3)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
    assert sorted(queue.get(timeout=5) for _ in procs) == ["acquired", "refused", "refused"]


def test_open_state_picks_backend_from_config(tmp_lake, state_table):
    from dataclasses import replace

    assert isinstance(open_state(tmp_lake), LocalStateStore)
    cfg = replace(tmp_lake, state={"backend": "dynamodb", "table": state_table}, region="eu-west-1")
    store = open_state(cfg)
    assert isinstance(store, DynamoStateStore)
    store.set_watermark("j", "s", "1")
    assert store.get_watermark("j", "s") == "1"
