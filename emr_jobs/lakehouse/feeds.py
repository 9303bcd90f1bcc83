"""Derived tables built incrementally from their inputs' change feeds (gold, silver's conformed customers).

A derived table records, per input, the version it last reflected (state-store watermarks
``<job>/<input>@<Delta table id>``: ``tables.feed_position``). ``read_changes`` pins the inputs' current
versions and reads the values of the given columns the commits since then changed — or says "build in
full" (first build, an input missing, a feed that does not reach back). ``FeedRead.record`` moves the
positions on, once the derived table is written: a run that fails before it re-reads the same changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class FeedRead:
    positions: dict[str, tuple[str, int] | None]  # input -> (watermark key, pinned version); None: missing
    built_from: dict[str, int | None]  # input -> version last reflected; None: never
    changed: dict[str, Any] | None  # input -> distinct changed values (persisted); None: build in full

    @property
    def versions(self) -> dict[str, int | None]:
        return {t: (p[1] if p else None) for t, p in self.positions.items()}

    @property
    def up_to_date(self) -> bool:
        """Every input is at the version last reflected: nothing to do."""
        return self.changed is not None and self.built_from == self.versions

    def record(self, state, job: str) -> None:
        for position in self.positions.values():
            if position is not None:
                key, version = position
                state.set_watermark(job, key, str(version))

    def release(self) -> None:
        for df in (self.changed or {}).values():
            df.unpersist()


def read_changes(
    spark, cfg, state, job: str, layer: str, columns: dict[str, Sequence[str]], *, incremental: bool, log
) -> FeedRead:
    """Pin ``columns``' tables and read what changed since ``job`` last recorded them (``incremental``
    False, or anything missing: ``changed`` is None, build in full)."""
    from lakehouse import tables as io

    positions = {t: io.feed_position(spark, cfg, layer, t) for t in columns}
    built_from = {t: (_int(state.get_watermark(job, p[0])) if p else None) for t, p in positions.items()}
    read = FeedRead(positions, built_from, None)
    if not incremental or None in (*positions.values(), *built_from.values()):
        return read
    try:
        read.changed = io.changed_values(spark, cfg, layer, columns, built_from, read.versions)
    except io.ChangeFeedUnavailable as exc:
        log.warning("%s builds in full: %s", job, str(exc)[:500])
    return read


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)
