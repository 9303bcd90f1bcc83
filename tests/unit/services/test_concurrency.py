"""lakehouse.concurrency: run_when_ready, the scheduler the runner's jobs and the tables of silver, gold's publish
and the DQ suites share; run_all, its all-must-succeed form."""

from __future__ import annotations

import threading
import time

import pytest

from lakehouse.concurrency import run_all, run_when_ready


def _recorder(fail=(), sleep=None):
    events: list[tuple[str, str]] = []
    lock = threading.Lock()
    running = {"now": 0, "most": 0}

    def work(name: str) -> str:
        with lock:
            events.append(("start", name))
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        time.sleep((sleep or {}).get(name, 0.05))
        with lock:
            events.append(("end", name))
            running["now"] -= 1
        if name in fail:
            raise RuntimeError(f"{name} failed on purpose")
        return name.upper()

    return events, running, work


def test_a_piece_starts_after_what_it_needs_and_at_most_parallel_run_at_once():
    events, running, work = _recorder()
    upstream = {
        "fx": set(),
        "customers": set(),
        "orders": {"fx", "customers"},
        "invoices": {"orders", "gone"},
    }
    results = {}
    left = run_when_ready(
        list(upstream), upstream, work, 2, lambda n, r, e: results.setdefault(n, (r, e)) and e is None
    )
    assert left == [] and results == {n: (n.upper(), None) for n in upstream}  # "gone" is not waited for
    order = [n for e, n in events if e == "start"]
    ended = [n for e, n in events if e == "end"]
    assert set(order[:2]) == {"fx", "customers"} and order[2:] == ["orders", "invoices"]
    assert ended.index("fx") < order.index("orders") and ended.index("orders") < order.index("invoices")
    assert running["most"] == 2


def test_after_a_failure_nothing_starts_the_running_finish_and_the_error_is_handed_over():
    events, _, work = _recorder(fail={"a"}, sleep={"a": 0.01, "b": 0.5})  # a fails while b runs
    seen = {}
    left = run_when_ready(
        ["a", "b", "c", "d"],
        {"c": {"b"}, "d": set()},
        work,
        2,
        lambda n, r, e: seen.setdefault(n, e) is None,
    )
    assert isinstance(seen["a"], RuntimeError) and seen["b"] is None  # b ran beside a and finished
    assert left == ["c", "d"] and ("start", "c") not in events


def test_parallel_below_one_is_refused():
    with pytest.raises(ValueError, match="parallel must be >= 1"):
        run_when_ready(["a"], {}, lambda n: n, 0, lambda *_: True)


def test_run_all_returns_every_result_and_raises_the_first_error_after_the_running_finish():
    events, _, work = _recorder()
    seen: list[str] = []
    results = run_all(["a", "b", "c"], {"c": {"a"}}, work, 2, on_result=lambda n, r: seen.append(r))
    assert results == {"a": "A", "b": "B", "c": "C"} and sorted(seen) == ["A", "B", "C"]

    events, _, work = _recorder(fail={"a"}, sleep={"a": 0.01, "b": 0.2})
    with pytest.raises(RuntimeError, match="a failed on purpose"):
        run_all(["a", "b", "c"], {}, work, 2)
    assert ("end", "b") in events  # b was running: it finished
    assert ("start", "c") not in events  # nothing started after the failure
