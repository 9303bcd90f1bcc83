"""Local state store: one JSON document under ``cfg.state["path"]``, guarded by an fcntl lock.

Every operation takes an exclusive ``flock`` on ``state.lock``, reads ``state.json``, applies the change
and writes it back through a temporary file + ``os.replace`` (atomic on POSIX), so concurrent processes
on this machine see the same check-and-set semantics as DynamoDB's condition expressions, and a crash
mid-write never leaves a torn file. The document mirrors the DynamoDB keys: ``{pk: {sk: item}}``.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lakehouse.state.base import LockHeld, StateError, StateStore, WatermarkRegression, order_key


class LocalStateStore(StateStore):
    def __init__(self, path: str | os.PathLike, clock: Callable[[], float] | None = None):
        super().__init__(clock)
        self.dir = Path(path)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.file = self.dir / "state.json"
        self._lockfile = self.dir / "state.lock"
        # flock is per open file description; a thread lock also serialises threads of one process
        self._tlock = threading.Lock()

    @contextmanager
    def _transaction(self) -> Iterator[dict[str, dict[str, Any]]]:
        with self._tlock, open(self._lockfile, "a+") as lf:
            fcntl.flock(lf, fcntl.LOCK_EX)
            try:
                doc = self._read()
                before = json.dumps(doc, sort_keys=True)
                yield doc
                if json.dumps(doc, sort_keys=True) != before:
                    self._write(doc)
            finally:
                fcntl.flock(lf, fcntl.LOCK_UN)

    def _read(self) -> dict[str, dict[str, Any]]:
        if not self.file.exists():
            return {}
        try:
            doc = json.loads(self.file.read_text())
        except json.JSONDecodeError as exc:
            raise StateError(f"local state file {self.file} is not valid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise StateError(f"local state file {self.file} must hold a JSON object")
        return doc

    def _write(self, doc: dict) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".state-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(doc, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _peek(self) -> dict[str, dict[str, Any]]:
        with self._transaction() as doc:
            return json.loads(json.dumps(doc))

    # ---- watermarks --------------------------------------------------------------------------------
    def get_watermark(self, job: str, source: str) -> str | None:
        item = self._peek().get(f"watermark#{job}", {}).get(source)
        return item["value"] if item else None

    def set_watermark(self, job: str, source: str, value: str) -> None:
        new = order_key(value)
        with self._transaction() as doc:
            items = doc.setdefault(f"watermark#{job}", {})
            current = items.get(source)
            if current and current["ord"] > new:
                raise WatermarkRegression(
                    f"watermark of {job}/{source} would move backwards: {current['value']!r} -> {value!r}"
                )
            items[source] = {"value": value, "ord": new, "updated_at": self.clock()}

    # ---- locks ---------------------------------------------------------------------------------------
    def acquire_lock(self, job: str, owner: str, ttl_seconds: int = 3600) -> None:
        now = self.clock()
        with self._transaction() as doc:
            locks = doc.setdefault(f"lock#{job}", {})
            held = locks.get("lock")
            if held and held["owner"] != owner and held["expires_at"] >= now:
                raise LockHeld(job, held["owner"], held["expires_at"])
            locks["lock"] = {"owner": owner, "expires_at": now + ttl_seconds, "acquired_at": now}

    def release_lock(self, job: str, owner: str) -> bool:
        with self._transaction() as doc:
            locks = doc.get(f"lock#{job}", {})
            held = locks.get("lock")
            if not held or held["owner"] != owner:
                return False
            del locks["lock"]
            return True

    # ---- landing-file ledger -------------------------------------------------------------------------
    def record_file(self, source: str, key: str, etag: str) -> bool:
        with self._transaction() as doc:
            files = doc.setdefault(f"file#{source}", {})
            if key in files:
                return False
            files[key] = {"etag": etag, "recorded_at": self.clock()}
            return True

    def seen_files(self, source: str) -> set[str]:
        return set(self._peek().get(f"file#{source}", {}))
