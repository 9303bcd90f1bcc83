"""The state-store interface: watermarks, run locks and the landing-file ledger.

Semantics both implementations guarantee (tests/unit/services/test_state.py runs one suite over both):

* a watermark never moves backwards: ``set_watermark`` with a smaller value raises ``WatermarkRegression``
  (the same value again is accepted — a re-run of a batch is not a regression);
* one run per job at a time: ``lock(job, owner)`` raises ``LockHeld`` while another owner's lock is live;
  a lock whose ``expires_at`` has passed is stale (its run crashed) and is taken over;
* a landing file is recorded once: ``record_file`` answers True the first time, False afterwards.

The check and the write are one atomic step (a DynamoDB condition expression; a file lock locally), so two
concurrent runs cannot both pass the check.
"""

from __future__ import annotations

import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

log = logging.getLogger("lakehouse.state")


class StateError(RuntimeError):
    pass


class WatermarkRegression(StateError):
    """The new watermark is older than the stored one."""


class LockHeld(StateError):
    """Another live run holds the job's lock."""

    def __init__(self, job: str, holder: str | None, expires_at: float | None):
        self.job, self.holder, self.expires_at = job, holder, expires_at
        until = (
            datetime.fromtimestamp(expires_at, timezone.utc).isoformat(timespec="seconds")
            if expires_at
            else "?"
        )
        super().__init__(
            f"job {job!r} is already running (lock held by run {holder!r} until {until}); "
            "refusing a concurrent run"
        )


LOCK_POLL_SECONDS = 30.0

_DIGITS = re.compile(r"^\d+$")


def order_key(value: str) -> str:
    """A string whose lexicographic order is the watermark's real order.

    Watermarks are ISO timestamps (any offset/format ``datetime.fromisoformat`` reads) or integer
    offsets. Timestamps are normalised to UTC with microseconds; integers are zero-padded, so
    ``"9" < "10"`` holds as it should. DynamoDB compares strings byte-wise, hence this key.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"a watermark must be a non-empty string, got {value!r}")
    if _DIGITS.match(value):
        return "n:" + value.zfill(24)
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "s:" + value
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)  # the lake's session time zone is UTC
    return "t:" + ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


class StateStore(ABC):
    def __init__(
        self, clock: Callable[[], float] | None = None, sleep: Callable[[float], None] | None = None
    ):
        self.clock = clock or time.time
        self.sleep = sleep or time.sleep

    # ---- watermarks --------------------------------------------------------------------------------
    @abstractmethod
    def get_watermark(self, job: str, source: str) -> str | None: ...

    @abstractmethod
    def set_watermark(self, job: str, source: str, value: str) -> None: ...

    # ---- locks ---------------------------------------------------------------------------------------
    @abstractmethod
    def acquire_lock(self, job: str, owner: str, ttl_seconds: int = 3600) -> None:
        """Take the job's lock or raise LockHeld. The same owner may re-acquire (extends the TTL)."""

    @abstractmethod
    def release_lock(self, job: str, owner: str) -> bool:
        """Release the lock if ``owner`` still holds it; False when it was taken over meanwhile."""

    @contextmanager
    def lock(
        self, job: str, owner: str, ttl_seconds: int = 3600, wait_seconds: float = 0.0
    ) -> Iterator[None]:
        """Hold the job's lock for the block. ``wait_seconds``: while another run holds it, try again every
        ``LOCK_POLL_SECONDS`` for up to that long before raising ``LockHeld`` (a daily run that starts
        while the hourly run of the same job finishes waits for it instead of failing)."""
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be > 0")
        deadline = self.clock() + max(wait_seconds, 0.0)
        while True:
            try:
                self.acquire_lock(job, owner, ttl_seconds)
                break
            except LockHeld as exc:
                left = deadline - self.clock()
                if left <= 0:
                    raise
                log.info("job %s: %s; trying again for up to %.0f s", job, exc, left)
                self.sleep(min(LOCK_POLL_SECONDS, left))
        try:
            yield
        finally:
            if not self.release_lock(job, owner):
                log.warning(
                    "lock of job %s was taken over while run %s held it (it outlived its TTL)", job, owner
                )

    # ---- landing-file ledger -------------------------------------------------------------------------
    @abstractmethod
    def record_file(self, source: str, key: str, etag: str) -> bool: ...

    @abstractmethod
    def seen_files(self, source: str) -> set[str]: ...
