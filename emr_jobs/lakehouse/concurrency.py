"""Run named pieces of work in dependency order, several at a time: the runner's jobs, silver's tables.

Threads, not processes: the pieces share one SparkSession, whose scheduler runs their Spark jobs side by
side. What a small increment costs is mostly driver round trips (the Delta log, planning, the commit), so a
few pieces at once overlap that latency even on two cores.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

# Tables worked on side by side (silver's merges, gold's publish, a DQ suite's tables): small tables are
# bound by driver round trips, not executors, so a few at once overlap that latency.
TABLES_AT_ONCE = 3


def run_when_ready(
    names: Sequence[str],
    upstream: Mapping[str, set[str]],
    work: Callable[[str], Any],
    parallel: int,
    on_done: Callable[[str, Any, BaseException | None], bool],
    *,
    on_start: Callable[[str], None] | None = None,
    thread_name: str = "lakehouse",
) -> list[str]:
    """Start ``work(name)`` once every name in ``upstream[name]`` succeeded, up to ``parallel`` at once, in
    the order of ``names`` (upstream names not in ``names`` are not waited for).

    ``on_done(name, result, error)`` (``error``: what ``work`` raised, else None) returns True when the piece
    succeeded; False stops new starts — the running ones finish. Returns the names never started."""
    if parallel < 1:
        raise ValueError(f"parallel must be >= 1, got {parallel}")
    among = set(names)
    needs = {n: set(upstream.get(n, ())) & among for n in names}
    waiting = list(names)
    running: dict[Future, str] = {}
    succeeded: set[str] = set()
    stopped = False
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix=thread_name) as pool:
        while waiting or running:
            for name in [n for n in waiting if needs[n] <= succeeded] if not stopped else []:
                if len(running) >= parallel:
                    break
                waiting.remove(name)
                if on_start:
                    on_start(name)
                # in the submitter's context: the job bound for logging (lakehouse.logs.bind) goes along
                running[pool.submit(contextvars.copy_context().run, work, name)] = name
            if not running:
                break  # stopped, or what is left waits on a piece that did not succeed
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                name = running.pop(fut)
                error = fut.exception()
                if on_done(name, None if error else fut.result(), error):
                    succeeded.add(name)
                else:
                    stopped = True
    return waiting


def run_all(
    names: Sequence[str],
    upstream: Mapping[str, set[str]],
    work: Callable[[str], Any],
    parallel: int,
    *,
    on_start: Callable[[str], None] | None = None,
    on_result: Callable[[str, Any], None] | None = None,
    thread_name: str = "lakehouse",
) -> dict[str, Any]:
    """``run_when_ready`` for pieces that must all succeed: returns each result by name (``on_result(name,
    result)`` is called as each succeeds, in the caller's thread). After a failure nothing starts, the
    running pieces finish, and the first error is raised."""
    results: dict[str, Any] = {}
    errors: list[BaseException] = []

    def done(name: str, result: Any, error: BaseException | None) -> bool:
        if error is not None:
            errors.append(error)
            return False
        results[name] = result
        if on_result is not None:
            on_result(name, result)
        return True

    run_when_ready(names, upstream, work, parallel, done, on_start=on_start, thread_name=thread_name)
    if errors:
        raise errors[0]
    return results
